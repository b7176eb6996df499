"""Measure the cosine threshold for reporting a published fact check as a prior check of a claim.

    python evals/calibrate_prior_match.py

A small hand-written check, not a benchmark: 24 claims as a news article words them, each
paired with

* positive — the same claim as a fact-checker's `claimReviewed` words it;
* hard negative — another claim on the same topic (a different fact; 3 of the 24 differ only
  in a number or date, which an embedder barely sees);
* unrelated — every other pair's fact-checked claim (24 × 23 pairs).

Embeds with the offline all-MiniLM-L6-v2 (what `ingest --claimreview` uses by default) and
prints the similarity distributions and rates at candidate thresholds; the chosen value is
`Settings.prior_match_threshold`.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a plain checkout

from factcheck.config import Settings
from factcheck.retrieval.embeddings import embedder_from_settings

# (claim as published, same claim as fact-checked, same topic but another claim, number-only?)
PAIRS: list[tuple[str, str, str, bool]] = [
    (
        "Mexico sent 37 cartel figures to the United States in January 2026.",
        "In January 2026 Mexico transferred 37 alleged cartel members to US custody.",
        "Mexico sent 29 cartel figures to the United States in February 2025.",
        True,
    ),
    (
        "Homicides in Mexico have fallen by 40% under President Sheinbaum.",
        "Sheinbaum says murders in Mexico dropped 40 percent during her government.",
        "Disappearances in Mexico have risen under President Sheinbaum.",
        False,
    ),
    (
        "The USMCA will not be terminated until 2036 even if it is not extended this year.",
        "If the USMCA is not renewed at the 2026 review, the pact stays in force until 2036.",
        "The United States declined to renew the USMCA in July 2026.",
        False,
    ),
    (
        "Pemex cancelled a shipment of crude oil to Cuba in January.",
        "Mexico's state oil company halted a planned oil delivery to Cuba this month.",
        "Mexico will keep sending oil to Cuba as humanitarian aid.",
        False,
    ),
    (
        "Fentanyl crossing into the United States has fallen by 50%.",
        "The flow of fentanyl across the US border has been cut in half.",
        "Fentanyl overdose deaths in the United States fell by 43%.",
        False,
    ),
    (
        "Vaccines cause autism.",
        "Childhood vaccines are responsible for autism.",
        "Vaccines contain dangerous amounts of mercury.",
        False,
    ),
    (
        "Inflation in Mexico fell to 3.6% in December.",
        "Mexico's annual inflation rate dropped to 3.6 percent in December.",
        "Mexico's central bank expects inflation to reach its 3% target in 2026.",
        False,
    ),
    (
        "Fewer than one in seven Mexicans voted in the judicial election.",
        "Turnout in Mexico's first judicial elections was below 15 percent.",
        "Mexico's judicial election chose all federal judges by popular vote.",
        False,
    ),
    (
        "The Bank of Mexico cut its key interest rate to 7.25%.",
        "Banxico lowered the benchmark rate by a quarter point to 7.25 percent.",
        "A Banxico board member voted to keep the rate at 7.50%.",
        False,
    ),
    (
        "The US imposed 25% tariffs on imported cars starting April 3.",
        "Starting April 3, imported automobiles face a 25 percent US tariff.",
        "The US doubled its tariffs on steel and aluminium to 50%.",
        False,
    ),
    (
        "Drinking hot water kills the coronavirus.",
        "Hot water can cure COVID-19 by killing the virus.",
        "Hand sanitizer does not work against the coronavirus.",
        False,
    ),
    (
        "5G towers spread COVID-19.",
        "The coronavirus is transmitted through 5G mobile networks.",
        "Radiation from 5G towers causes cancer.",
        False,
    ),
    (
        "The Amazon rainforest produces 20% of the world's oxygen.",
        "Twenty percent of the oxygen on Earth comes from the Amazon.",
        "The Amazon rainforest has lost 20% of its area since 1970.",
        False,
    ),
    (
        "Unemployment in Spain has reached its lowest level since 2008.",
        "Spain's jobless rate is at its lowest since 2008.",
        "Youth unemployment in Spain is the highest in the European Union.",
        False,
    ),
    (
        "Crime rose 30% in London last year.",
        "London saw a 30 percent increase in crime in the past year.",
        "Knife crime in London fell last year.",
        False,
    ),
    (
        "The president said the border wall has been completed.",
        "The border wall is finished, according to the president.",
        "The president said Mexico paid for the border wall.",
        False,
    ),
    (
        "Mexico's economy grew 3.2% in 2023.",
        "Mexican GDP expanded by 3.2 percent in 2023.",
        "Mexico's economy grew 1.5% in 2024.",
        True,
    ),
    (
        "Canada's wildfires burned more than 18 million hectares in 2023.",
        "More than 18 million hectares were burned by Canadian wildfires in 2023.",
        "Smoke from Canadian wildfires reached Europe in 2023.",
        False,
    ),
    (
        "The minimum wage in Mexico rose 20% in 2024.",
        "Mexico increased its minimum wage by 20 percent for 2024.",
        "Mexico's minimum wage is the lowest in the OECD.",
        False,
    ),
    (
        "Electric cars produce more emissions than petrol cars over their lifetime.",
        "Over their full life cycle, EVs emit more CO2 than gasoline vehicles.",
        "Electric cars are more expensive to insure than petrol cars.",
        False,
    ),
    (
        "Kash Patel said the FBI took part in the operation to arrest Ryan Wedding.",
        "FBI director Patel claimed the bureau was involved in capturing Ryan Wedding in Mexico.",
        "Ryan Wedding competed as a snowboarder at the Olympics.",
        False,
    ),
    (
        "Sheinbaum and Trump spoke for 40 minutes by phone.",
        "The phone call between Sheinbaum and Trump lasted about 40 minutes.",
        "Sheinbaum and Trump spoke for 15 minutes by phone on 12 January.",
        True,
    ),
    (
        "Bill Gates wants to put microchips in people through vaccines.",
        "COVID vaccines contain Bill Gates' tracking microchips.",
        "The Gates Foundation funds polio vaccination in Africa.",
        False,
    ),
    (
        "Mexico is the deadliest country for journalists outside a war zone.",
        "More journalists are murdered in Mexico than anywhere else not at war.",
        "Most murders of journalists in Mexico go unpunished.",
        False,
    ),
]


def main() -> None:
    """Embed the pairs and print distributions and rates."""
    embedder = embedder_from_settings("minilm")
    claims = embedder.embed([p[0] for p in PAIRS])
    reviewed = embedder.embed([p[1] for p in PAIRS])
    others = embedder.embed([p[2] for p in PAIRS])
    sims = {
        "positive": [float(claims[i] @ reviewed[i]) for i in range(len(PAIRS))],
        "hard": [float(claims[i] @ others[i]) for i in range(len(PAIRS)) if not PAIRS[i][3]],
        "number-only": [float(claims[i] @ others[i]) for i in range(len(PAIRS)) if PAIRS[i][3]],
        "unrelated": [
            float(claims[i] @ reviewed[j])
            for i in range(len(PAIRS))
            for j in range(len(PAIRS))
            if i != j
        ],
    }
    for name, values in sims.items():
        print(
            f"{name:11} n={len(values):3}  min {min(values):.3f}  "
            f"median {statistics.median(values):.3f}  max {max(values):.3f}"
        )
    default = Settings.model_fields["prior_match_threshold"].default
    for cut in (0.6, 0.65, 0.7, 0.75, 0.8, 0.85):
        rates = "  ".join(
            f"{'recall' if name == 'positive' else 'FPR ' + name} "
            f"{sum(v >= cut for v in values) / len(values):.2f}"
            for name, values in sims.items()
        )
        print(f"at {cut:.2f}{' (default)' if cut == default else '':10}  {rates}")


if __name__ == "__main__":
    main()
