# ruff: noqa: E501 (article texts keep one paragraph per line)
"""Hand-annotated source for attribution-dev.jsonl (run `python evals/datasets/attribution/build.py`).

Each article is (article_id, byline, text, annotations); annotations hold one
(sentence_prefix, speaker_or_None, notes) per sentence of `factcheck.text.split_sentences(text)`.
The seed article is read from /work/shared/seeds; the other four were written for this project.
"""

from __future__ import annotations

CS = "Claudia Sheinbaum"
DT = "Donald Trump"

SEED_ID = "seed-mnd-sheinbaum-trump-call"
SEED_BYLINE = "By Mexico News Daily chief staff writer Peter Davies"
SEED = [
    ("President Claudia Sheinbaum held", None, "narration"),
    (
        "“It was a cordial",
        CS,
        "quote + 'she told reporters'; she = Sheinbaum (subject of previous)",
    ),
    ("Trump also referred", DT, "'writing on social media'; full name from sentence 0"),
    (
        "“Much of it was",
        DT,
        "multi-sentence quote opened here; closed by 'he wrote on Truth Social'",
    ),
    ("We will be speaking", DT, "inside the open quote"),
    ("Mexico has a wonderful", DT, "quote closes here; attribution is the next fragment"),
    ("he wrote on Truth Social.", DT, "splitter fragment; he = Trump"),
    ("The conversation came", None, "narration"),
    ("On Thursday morning, Sheinbaum said", CS, "said that"),
    (
        "“While we were speaking",
        CS,
        "multi-sentence quote; attribution 'she said' two sentences on",
    ),
    ("So I had the opportunity", CS, "inside the open quote"),
    ("You already know", CS, "quote closes + 'she said'"),
    (
        "Sheinbaum: Trump acknowledged",
        CS,
        "headline colon; the embedded 'Trump acknowledged' is hers",
    ),
    ("Sheinbaum told reporters that Trump agreed", CS, "told reporters"),
    ("The presidents’ conversation", None, "narration"),
    ("Sheinbaum said that Trump was", CS, "said that"),
    ("Sheinbaum: Trump didn’t speak", CS, "headline colon"),
    ("A reporter noted", None, "unnamed reporter is not a name"),
    ("“No,” Sheinbaum responded.", CS, "quote + responded"),
    ("“On the contrary", CS, "quote continues into next sentence"),
    ("We’re making a lot", CS, "quote closes + 'she said'"),
    ("Sheinbaum has recently been touting", CS, "touting (known failure of the old extractor)"),
    ("However, the accuracy", None, "unnamed 'security experts and NGOs'"),
    ("Is security in Mexico", None, "sub-headline question"),
    ("Sheinbaum: Trade negotiations", CS, "headline colon"),
    ("Sheinbaum told reporters that Mexico’s trade", CS, "told reporters"),
    ("“There’s nothing concrete", CS, "quote + she said"),
    ("Mexico is seeking relief", None, "narration"),
    ("Meanwhile, the Mexican", "Office of the United States Trade Representative", "according to"),
    ("Sheinbaum acknowledged that announcement", CS, "acknowledged / said that"),
    ("Sheinbaum advocated for", CS, "sub-headline, stance verb 'advocated', no colon"),
    ("Sheinbaum said that she and Trump discussed Canada", CS, "said that"),
    ("Tension between", None, "narration; 'Trump has floated the idea' is the writer's summary"),
    ("However, even if Mexico", None, "writer's analysis"),
    ("Sheinbaum: Neither Cuba", CS, "headline colon"),
    ("Sheinbaum said that she and Trump didn’t discuss", CS, "said that"),
    (
        "Bloomberg reported on Monday",
        "Bloomberg",
        "org + reported; never the clause (known failure)",
    ),
    ("Sheinbaum didn’t deny the report", CS, "'but stressed that'"),
    ("not under any duress", None, "splitter fragment after 'i.e.': the writer's gloss"),
    ("On Thursday, she indicated", CS, "she = Sheinbaum (previous speaker)"),
    ("Sheinbaum also told reporters", CS, "told reporters"),
    (
        "At her press conference",
        "Wall Street Journal",
        "the quoted FBI claim is the WSJ report's; Sheinbaum's response is not quoted; never byline",
    ),
    ("(Read Mexico News Daily’s", None, "link text"),
    ("By Mexico News Daily", None, "byline line"),
]

COUNCIL = """Riverton City Council votes to raise parking fees downtown
The Riverton City Council voted 5-2 on Tuesday night to raise downtown parking fees by 50 cents an hour starting in March. Mayor Linda Okafor said the increase would bring in about $1.2 million a year for road repairs. "Our streets are crumbling, and drivers from out of town should help pay for them," she told the council.
Councilmember Raj Patel, who voted against the measure, argued that the fees would drive shoppers to the malls outside the city. "Small businesses on Main Street are already struggling. This is the last thing they need," Patel said.
According to the Riverton Finance Department, parking revenue fell 8 percent last year. The department estimated that the new rates would reduce demand by only 3 percent.
The Downtown Business Association said in a statement that it would ask the council to reconsider. Its president, Maria Chen, told the Riverton Gazette that members had not been consulted.
The new fees will not apply on Sundays. Parking meters were last updated in 2015, when the city installed card readers. The mayor said she expects to review the rates again next year.
Several residents who spoke at the meeting opposed the increase. One of them said she would stop shopping downtown altogether.
By Tom Reyes"""
COUNCIL_ANN = [
    ("Riverton City Council votes", None, "headline, no speaker"),
    ("The Riverton City Council voted", None, "a vote is an action, not a statement"),
    ("Mayor Linda Okafor said", "Linda Okafor", "said (no 'that'); title stripped"),
    ('"Our streets', "Linda Okafor", "quote + 'she told the council'"),
    ("Councilmember Raj Patel", "Raj Patel", "argued, after a relative clause"),
    ('"Small businesses', "Raj Patel", "quote opens; closed by next sentence"),
    ("This is the last thing", "Raj Patel", "quote closes + 'Patel said'; full name"),
    ("According to the Riverton", "Riverton Finance Department", "according to"),
    ("The department estimated", "Riverton Finance Department", "'the department' = named earlier"),
    ("The Downtown Business Association", "Downtown Business Association", "said in a statement"),
    ("Its president, Maria Chen", "Maria Chen", "appositive + told the Riverton Gazette"),
    ("The new fees will not", None, "narration"),
    ("Parking meters were", None, "narration"),
    ("The mayor said", "Linda Okafor", "'the mayor' = Mayor Linda Okafor"),
    ("Several residents", None, "unnamed"),
    ("One of them said", None, "unnamed resident"),
    ("By Tom Reyes", None, "byline"),
]

POLICE = """Burglaries fall, car thefts rise in Eastfield, police figures show
Reported burglaries in Eastfield dropped 14 percent in the first half of the year, according to figures released by the Eastfield Police Department on Friday. Car thefts, however, rose 22 percent over the same period.
Police Chief Daniel Morales told reporters that the drop in burglaries was the result of more patrols in residential areas. "We put officers where the break-ins were happening, and it worked," the chief said. He added that most stolen cars were older models without electronic immobilizers.
The department reported 412 car thefts between January and June, compared with 338 a year earlier.
Criminologist Sarah Lindqvist of Northgate University cautioned that six months of data was too short to identify a trend. "Crime numbers bounce around a lot from one half-year to the next," Lindqvist said. "I would wait for the full-year figures before drawing any conclusions."
Councilman Greg Whitaker wrote on X that the car theft figures were "alarming" and called for a new task force. The Eastfield Police Officers Association estimated that the department is short about 40 officers. Morales did not respond to a question about staffing.
The figures do not include thefts reported to the state highway patrol. The city will publish its full-year crime report in February."""
POLICE_ANN = [
    ("Burglaries fall", None, "headline; 'police figures show' names no one"),
    ("Reported burglaries", "Eastfield Police Department", "according to figures released by"),
    ("Car thefts, however", None, "narration (figures already attributed)"),
    ("Police Chief Daniel Morales", "Daniel Morales", "told reporters; title stripped"),
    ('"We put officers', "Daniel Morales", "'the chief' = Police Chief Daniel Morales"),
    ("He added", "Daniel Morales", "he = previous speaker"),
    ("The department reported", "Eastfield Police Department", "'the department' = named earlier"),
    ("Criminologist Sarah Lindqvist", "Sarah Lindqvist", "cautioned; affiliation not part of name"),
    ('"Crime numbers', "Sarah Lindqvist", "quote + 'Lindqvist said'"),
    ('"I would wait', "Sarah Lindqvist", "unattributed follow-on quote right after hers"),
    ("Councilman Greg Whitaker", "Greg Whitaker", "wrote on X"),
    ("The Eastfield Police Officers", "Eastfield Police Officers Association", "estimated"),
    ("Morales did not respond", None, "no statement"),
    ("The figures do not", None, "narration"),
    ("The city will publish", None, "narration"),
]

HEALTH = """Health Ministry: flu vaccinations up 10 percent this season
The Health Ministry said on Wednesday that 3.4 million people had received a flu vaccine since October, about 10 percent more than last season. Health Minister Ana Ribeiro announced that pharmacies would be allowed to vaccinate children over 12 from next month.
"Pharmacies are closer to people than clinics are, especially in rural areas," the minister told a news conference in Lisbon. She insisted that the vaccine supply was sufficient for the rest of the winter.
Hospital admissions for influenza peaked in the second week of January.
The National Pharmacists Association welcomed the decision. Its spokesperson, Luís Costa, noted that pharmacists already give about a third of adult flu shots. But the Doctors’ Union claimed the plan would put children at risk because pharmacies cannot handle rare allergic reactions. "A pharmacy is not an emergency room," union leader Helena Marques said in a statement.
The ministry did not say how many pharmacies had signed up. Last season, about 3.1 million people were vaccinated.
According to the European Centre for Disease Prevention and Control, vaccination rates among the elderly remain below the 75 percent target in most EU countries. The official said the ministry would publish weekly figures until March."""
HEALTH_ANN = [
    ("Health Ministry: flu", "Health Ministry", "headline colon, organisation"),
    ("The Health Ministry said", "Health Ministry", "said that"),
    ("Health Minister Ana Ribeiro", "Ana Ribeiro", "announced"),
    ('"Pharmacies are closer', "Ana Ribeiro", "'the minister' = Health Minister Ana Ribeiro"),
    ("She insisted", "Ana Ribeiro", "she = previous speaker"),
    ("Hospital admissions", None, "narration"),
    ("The National Pharmacists", "National Pharmacists Association", "stance verb 'welcomed'"),
    ("Its spokesperson, Luís Costa", "Luís Costa", "appositive + noted"),
    ("But the Doctors’ Union", "Doctors’ Union", "claimed (no 'that')"),
    ('"A pharmacy is not', "Helena Marques", "quote + said in a statement"),
    ("The ministry did not say", None, "negated: no statement"),
    ("Last season", None, "narration"),
    (
        "According to the European",
        "European Centre for Disease Prevention and Control",
        "according to; 7-word organisation name",
    ),
    ("The official said", None, "no one was introduced as 'official': unresolvable"),
]

SPANISH = """Gómez: el nuevo hospital de Villanueva abrirá en junio
La alcaldesa de Villanueva, Patricia Gómez, dijo este lunes que el nuevo hospital municipal abrirá sus puertas en junio. «Las obras están terminadas en un 90 por ciento», afirmó Gómez durante una rueda de prensa.
Según la Secretaría de Salud estatal, el hospital tendrá 120 camas y 15 quirófanos. La obra costó 850 millones de pesos, de acuerdo con datos del ayuntamiento.
El regidor opositor Luis Herrera aseguró que el proyecto lleva dos años de retraso. «Prometieron el hospital para 2024 y todavía no hay médicos contratados», declaró Herrera. La alcaldesa señaló que la contratación de personal comenzará en marzo.
El hospital atenderá a unos 200.000 habitantes de la región. Actualmente, los pacientes deben viajar más de una hora para llegar al hospital más cercano.
El Colegio de Médicos informó que al menos 40 especialistas se han postulado para las nuevas plazas. Según su presidente, Jorge Salinas, la cifra es «alentadora». Herrera dijo que pedirá una auditoría de los contratos de construcción.
La inauguración está prevista para el 15 de junio."""
SPANISH_ANN = [
    ("Gómez: el nuevo", "Gómez", "headline colon; only the surname occurs so far"),
    ("La alcaldesa de Villanueva", "Patricia Gómez", "appositive + dijo que"),
    ("«Las obras", "Patricia Gómez", "quote + afirmó Gómez (inverted)"),
    ("Según la Secretaría", "Secretaría de Salud", "según; 'estatal' is not part of the name"),
    ("La obra costó", None, "'del ayuntamiento' is a generic lowercase source, not a name"),
    ("El regidor opositor", "Luis Herrera", "aseguró que"),
    ("«Prometieron", "Luis Herrera", "quote + declaró Herrera (inverted)"),
    ("La alcaldesa señaló", "Patricia Gómez", "'la alcaldesa' = named earlier"),
    ("El hospital atenderá", None, "narration"),
    ("Actualmente", None, "narration"),
    ("El Colegio de Médicos", "Colegio de Médicos", "informó que"),
    ("Según su presidente", "Jorge Salinas", "según + appositive name"),
    ("Herrera dijo que", "Luis Herrera", "dijo que; full name"),
    ("La inauguración", None, "narration"),
]

OWN = [
    ("own-council-parking", "By Tom Reyes", COUNCIL, COUNCIL_ANN),
    ("own-police-statistics", None, POLICE, POLICE_ANN),
    ("own-health-vaccines", None, HEALTH, HEALTH_ANN),
    ("own-es-hospital", None, SPANISH, SPANISH_ANN),
]

# --- Written and annotated AFTER the patterns were tuned on the sets above; scored once, untuned.
SCHOOL = """District says test scores recovered to pre-pandemic levels
Math scores in the Lakeview School District have returned to their 2019 levels, the district said on Thursday. Superintendent Karen Obi, 52, called the results "a turning point for our students." In a statement, the Lakeview Teachers Union said the gains were due to smaller class sizes.
Reading scores, however, remain 4 points lower than before the pandemic. Board member Paul Grant says the district is spending too little on libraries. "We cut librarians first and we are paying for it now," Grant told the Lakeview Ledger.
Asked whether the district would hire more librarians, Obi replied that the budget would be decided in May. The state education department has not published its own figures. According to a statement from the governor's office, statewide results will be released next week.
Parents at Tuesday's board meeting praised the tutoring program. The 52-year-old superintendent said she plans to expand it to all middle schools."""
SCHOOL_ANN = [
    ("District says test scores", None, "headline; generic lowercase 'district'"),
    ("Math scores in the Lakeview", None, "'the district said' names no proper organisation"),
    ("Superintendent Karen Obi", "Karen Obi", "stance verb 'called'; age in apposition"),
    ("In a statement, the Lakeview", "Lakeview Teachers Union", "said"),
    ("Reading scores, however", None, "narration"),
    ("Board member Paul Grant", "Paul Grant", "present tense 'says'"),
    ('"We cut librarians', "Paul Grant", "quote + Grant told the Lakeview Ledger"),
    ("Asked whether the district", "Karen Obi", "replied that"),
    ("The state education department", None, "negated, lowercase"),
    ("According to a statement from", None, "'the governor's office' is lowercase/unnamed"),
    ("Parents at Tuesday", None, "unnamed parents"),
    ("The 52-year-old superintendent", "Karen Obi", "descriptive title = superintendent"),
]

AGUA = """Sequía: la presa La Esperanza está al 18 por ciento
La Comisión Estatal del Agua informó que la presa La Esperanza se encuentra al 18 por ciento de su capacidad. El director del organismo, Andrés Villalobos, explicó que no ha llovido lo suficiente desde agosto.
«Si no llueve en mayo, tendremos que reducir el suministro», advirtió Villalobos. De acuerdo con el Servicio Meteorológico Nacional, las lluvias llegarán tarde este año.
Vecinos de la colonia Centro denunciaron cortes de agua de hasta tres días. La gobernadora Elena Ruiz sostuvo que el estado invertirá 200 millones de pesos en pozos nuevos. Ruiz añadió que la obra empezará en abril.
El consumo de agua por habitante es de 250 litros al día."""
AGUA_ANN = [
    ("Sequía: la presa", None, "headline colon with a topic word, not a name"),
    ("La Comisión Estatal del Agua", "Comisión Estatal del Agua", "informó que"),
    ("El director del organismo", "Andrés Villalobos", "appositive + explicó que"),
    ("«Si no llueve", "Andrés Villalobos", "quote + advirtió Villalobos"),
    ("De acuerdo con el Servicio", "Servicio Meteorológico Nacional", "de acuerdo con"),
    ("Vecinos de la colonia", None, "unnamed residents"),
    ("La gobernadora Elena Ruiz", "Elena Ruiz", "sostuvo que"),
    ("Ruiz añadió", "Elena Ruiz", "añadió que"),
    ("El consumo de agua", None, "narration"),
]

FRESH = [
    ("fresh-school-scores", None, SCHOOL, SCHOOL_ANN),
    ("fresh-es-drought", None, AGUA, AGUA_ANN),
]
