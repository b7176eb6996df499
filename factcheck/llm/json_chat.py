"""Structured output for chat models that answer with JSON text: the in-process llama.cpp
model and the fake model share it."""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from langchain_core.output_parsers import PydanticOutputParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough


class JsonStructuredOutputMixin:
    """`with_structured_output` for chat models that take the schema as a `response_schema`
    keyword and answer with JSON text (the fake model and the local llama.cpp model)."""

    def with_structured_output(
        self, schema: Any, *, include_raw: bool = False, **kwargs: Any
    ) -> Runnable:
        """Bind the schema, parse the JSON reply into it; `include_raw` as in LangChain."""
        bound = self.bind(response_schema=schema)  # type: ignore[attr-defined]
        parser = PydanticOutputParser(pydantic_object=schema)
        if not include_raw:
            return bound | parser
        parse_ok = RunnablePassthrough.assign(
            parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
        )
        parse_failed = RunnablePassthrough.assign(parsed=lambda _: None)
        with_fallback = parse_ok.with_fallbacks([parse_failed], exception_key="parsing_error")
        return RunnableMap(raw=bound) | with_fallback
