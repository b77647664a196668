"""Personal data found in text, offline: presidio-analyzer's pattern recognizers with its no-op NLP
engine (no spaCy model to download). The reference system redacts its logs with it; notebook 06
reports with it what personal data sits in a target's logs, spans and metrics."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

ENTITIES = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "US_SSN",
    "UK_NHS",
    "KNOWN_PERSON",
)
MIN_SCORE = 0.3  # presidio scores phone numbers at 0.4 without context words
_SSN = re.compile(r"\b\d{3}-\d{2}-\d{4}\b")  # presidio rejects well-known sample SSNs; we do not


@dataclass(frozen=True)
class Finding:
    start: int
    end: int
    entity: str
    text: str


class PiiFinder:
    """Finds personal data in text. Built lazily on first use (presidio takes about a second to
    import). Names cannot be found without an NLP model, so known names are a deny list."""

    def __init__(self, person_names: Iterable[str] = ()) -> None:
        self._names = sorted({name.strip() for name in person_names if name and name.strip()})
        self._analyzer: Any = None
        self._lock = threading.Lock()

    def find(self, text: str) -> list[Finding]:
        """Every personal datum in `text`, in order (overlaps left to the caller)."""
        if not text:
            return []
        with self._lock:
            if self._analyzer is None:
                self._analyzer = self._build()
            analyzer = self._analyzer
        entities = [e for e in ENTITIES if self._names or e != "KNOWN_PERSON"]
        results = analyzer.analyze(text, language="en", entities=entities)
        found = [
            Finding(r.start, r.end, r.entity_type, text[r.start : r.end])
            for r in results
            if r.score >= MIN_SCORE
        ]
        found += [Finding(m.start(), m.end(), "US_SSN", m.group()) for m in _SSN.finditer(text)]
        return sorted(found, key=lambda finding: (finding.start, -finding.end))

    def _build(self) -> Any:
        from presidio_analyzer import AnalyzerEngine, PatternRecognizer, RecognizerRegistry
        from presidio_analyzer.nlp_engine import NoOpNlpEngine
        from presidio_analyzer.predefined_recognizers import EmailRecognizer

        class OfflineEmailRecognizer(EmailRecognizer):
            """The stock recognizer asks tldextract, which downloads the suffix list."""

            def validate_result(self, pattern_text: str) -> bool:
                domain = pattern_text.rpartition("@")[2]
                return "." in domain and not domain.endswith(".")

        nlp = NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "noop"}])
        registry = RecognizerRegistry(supported_languages=["en"])
        loader_log = logging.getLogger("presidio-analyzer")
        level = loader_log.level
        loader_log.setLevel(logging.ERROR)  # one warning per recognizer of another language
        try:
            registry.load_predefined_recognizers(languages=["en"], nlp_engine=nlp)
        finally:
            loader_log.setLevel(level)
        registry.remove_recognizer("EmailRecognizer")
        registry.add_recognizer(OfflineEmailRecognizer())
        if self._names:
            registry.add_recognizer(
                PatternRecognizer(supported_entity="KNOWN_PERSON", deny_list=self._names)
            )
        return AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["en"])
