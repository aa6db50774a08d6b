"""Explore-page figures from an in-memory study: placeholders when too small, top trials on top."""
import optuna
from optuna.distributions import FloatDistribution, IntDistribution
from optuna.trial import TrialState, create_trial

from digitlab.plots import explore as figs


def _study(n_complete: int, n_pruned: int = 0) -> optuna.Study:
    study = optuna.create_study(direction="maximize")
    dists = {"lr": FloatDistribution(1e-4, 1e-1, log=True), "width": IntDistribution(16, 256, log=True)}
    for i in range(n_complete + n_pruned):
        pruned = i >= n_complete
        value = 0.5 + 0.04 * i
        curve = {e: value * e / 5 for e in range(1, 3 if pruned else 6)}
        study.add_trial(create_trial(params={"lr": 10 ** -(1 + i % 3), "width": 16 * (1 + i)}, distributions=dists,
                                     value=None if pruned else value, intermediate_values=curve,
                                     state=TrialState.PRUNED if pruned else TrialState.COMPLETE))
    return study


def _is_placeholder(fig) -> bool:
    return len(fig.data) == 0 and fig.layout.annotations and "appears" in fig.layout.annotations[0].text


def test_small_studies_get_placeholders_not_errors():
    empty = _study(0)
    for build in (figs.optimization_history, figs.parallel_coordinates, figs.importances, figs.slices,
                  figs.learning_curves):
        assert _is_placeholder(build(empty))
    assert "needs two parameters" in figs.contour(_study(1)).layout.annotations[0].text
    one = _study(1)
    assert not _is_placeholder(figs.optimization_history(one)) and _is_placeholder(figs.parallel_coordinates(one))


def test_full_study_builds_every_figure():
    study = _study(8, n_pruned=3)
    assert [t.type for t in figs.contour(study).data][0] == "contour"
    assert figs.importances(study).data[0].type == "bar"
    lines = [t for t in figs.parallel_coordinates(study).data if t.mode == "lines"]
    assert len(lines) == 8  # one per completed trial


def test_learning_curves_highlight_the_top_trials_and_show_pruned_ones_faint():
    study = _study(8, n_pruned=3)
    fig = figs.learning_curves(study, top=3)
    assert len(fig.data) == 11
    legend = sorted((t for t in fig.data if t.showlegend), key=lambda t: t.legendrank)
    assert [t.name.split(":")[0] for t in legend] == ["#1", "#2", "#3"]
    assert "trial 7" in legend[0].name and "trial 6" in legend[1].name  # the best scores, in order
    faint = [t for t in fig.data if not t.showlegend]
    assert len(faint) == 8 and sum(len(t.x) == 2 for t in faint) == 3  # the pruned trials stop early
    assert fig.data[-1].name.startswith("#1:")  # the best drawn last, on top
