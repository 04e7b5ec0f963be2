"""`python -m bench --repeat N`: each figure as the median and the worst of N runs."""

from __future__ import annotations

from bench.report import Figure, combine


def test_the_median_is_the_value_and_the_worst_depends_on_the_goal() -> None:
    def run(ratio: float, seconds: float, met: bool) -> list[Figure]:
        return [
            Figure("floor_ratio", "floor", ratio, "≥ 0.85", ratio >= 0.85),
            Figure("noop_seconds", "no-op", seconds, "≤ 2 s", met, unit="s"),
        ]

    floor, noop = combine([run(0.9, 1.5, True), run(0.8, 2.5, False), run(0.95, 1.2, True)])
    assert (floor.value, floor.worst, floor.runs) == (0.9, 0.8, [0.9, 0.8, 0.95])
    assert floor.met is False  # one run missed: the worst of three decides
    assert (noop.value, noop.worst) == (1.5, 2.5)  # a ceiling: the highest is the worst
    assert noop.met is False


def test_a_run_that_could_not_measure_leaves_the_figure_undecided() -> None:
    measured = [Figure("celery_inline_ratio", "celery", 0.9, "≥ 0.7", True)]
    missing = [Figure.missing("celery_inline_ratio", "celery", "≥ 0.7", "no Redis")]
    (figure,) = combine([measured, missing, measured])
    assert figure.value == 0.9 and figure.worst == 0.9
    assert figure.met is None and figure.runs == [0.9, None, 0.9]
