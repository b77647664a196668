"""The evaluation loop of notebook 05: golden-set metrics of a run, and regressions against an
accepted baseline.

`metrics` scores each question of the golden set from a target's answers (retrieval from the
cited ids, answer F1, refusal correctness, citation validity); `baseline` stores a run's
evaluation in its folder, accepts one as the engagement's baseline and compares later runs with it
(a paired bootstrap per metric). The names a notebook uses are gathered here.
"""

from playbook.evaluation.baseline import (
    BASELINE_FOLDER,
    EVALUATION_FILE,
    MIN_PAIRED_QUESTIONS,
    Comparison,
    MetricComparison,
    QuestionChange,
    accept_baseline,
    baseline_path,
    compare,
    find_evaluated_run,
    load_baseline,
    load_evaluation,
    paired_bootstrap,
    save_evaluation,
)
from playbook.evaluation.metrics import (
    DEFAULT_K,
    DEFAULT_SUPPORT,
    METRICS,
    RETRIEVAL_METRICS,
    Evaluation,
    ask_golden,
    check_citations,
    evaluate,
    golden_hash,
    hit_at_k,
    metric_label,
    ndcg_at_k,
    normalize_answer,
    recall_at_k,
    reciprocal_rank,
    refusal_correct,
    token_f1,
)

__all__ = [
    "BASELINE_FOLDER",
    "DEFAULT_K",
    "DEFAULT_SUPPORT",
    "EVALUATION_FILE",
    "METRICS",
    "MIN_PAIRED_QUESTIONS",
    "RETRIEVAL_METRICS",
    "Comparison",
    "Evaluation",
    "MetricComparison",
    "QuestionChange",
    "accept_baseline",
    "ask_golden",
    "baseline_path",
    "check_citations",
    "compare",
    "evaluate",
    "find_evaluated_run",
    "golden_hash",
    "hit_at_k",
    "load_baseline",
    "load_evaluation",
    "metric_label",
    "ndcg_at_k",
    "normalize_answer",
    "paired_bootstrap",
    "recall_at_k",
    "reciprocal_rank",
    "refusal_correct",
    "save_evaluation",
    "token_f1",
]
