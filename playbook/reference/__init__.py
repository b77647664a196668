"""The embedded reference RAG system: ingest, store, retrieve, answer, faults and telemetry.

`ReferenceSystem` (in `playbook.reference.system`) is the entry point; `Hardening` names the
switches that turn the prototype into the production profile one at a time.
"""
