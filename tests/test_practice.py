"""Lesson 1's practice generator (backprop_course.practice): seeded, small, some ReLUs off, and its
answers agree with the reference engine and with central differences of its own forward pass."""

import pytest

from backprop_course.practice import INPUTS, WEIGHTS, PracticeGraph, practice_graph
from helpers.reference_library import reference_module

Scalar = reference_module("graph").Scalar
SEEDS = range(60)


def test_a_seed_gives_the_same_graph_and_seeds_give_many():
    first, again = practice_graph(3), practice_graph(3)
    assert (first.layers, first.x, first.t, first.weights) == (again.layers, again.x, again.t, again.weights)
    graphs = {(g.layers, g.x, g.t, tuple(g.weights.values())) for g in map(practice_graph, SEEDS)}
    assert len(graphs) >= 55
    assert {g.layers for g in map(practice_graph, SEEDS)} == {(1, 2), (2, 1), (2, 2), (2,)}


@pytest.mark.parametrize("seed", SEEDS)
def test_every_graph_has_a_relu_off_and_a_live_output(seed):
    graph = practice_graph(seed)
    hidden = [h for _, h, _ in graph.units]
    assert graph.off() and len(graph.off()) < len(hidden)
    assert set(hidden[-graph.layers[-1]:]) - set(graph.off())
    assert set(graph.weights.values()) <= set(WEIGHTS) and graph.x in INPUTS
    assert graph.gradients()["dL_dy"] != 0


@pytest.mark.parametrize("seed", SEEDS)
def test_the_answers_are_the_reference_engines(seed):
    graph = practice_graph(seed)
    nodes = graph.build(Scalar)
    nodes["L"].backward()
    for name, value in graph.forward().items():
        if name in nodes:
            assert nodes[name].value == pytest.approx(value, abs=1e-12), name
    for name, grad in graph.gradients().items():
        assert nodes[name[4:]].grad == pytest.approx(grad, abs=1e-12), name


def test_the_gradients_are_the_slopes_of_the_forward_pass():
    graph = practice_graph(5)
    h = 1e-6
    for w in graph.weights:
        up = PracticeGraph(graph.layers, graph.x, graph.t, {**graph.weights, w: graph.weights[w] + h}).forward()["L"]
        down = PracticeGraph(graph.layers, graph.x, graph.t, {**graph.weights, w: graph.weights[w] - h}).forward()["L"]
        # a kink lies within h of no pre-activation: weights and x are halves
        assert graph.gradients()[f"dL_d{w}"] == pytest.approx((up - down) / (2 * h), abs=1e-6), w


def test_the_lessons_network_is_one_of_its_shapes():
    weights = {"w1": 0.5, "w2": 1.5, "w3": 1.0, "w4": -0.25, "w5": -1.0, "w6": 1.0, "w7": 2.0, "w8": -0.5}
    graph = PracticeGraph((2, 2), 2.0, 1.0, weights)
    assert graph.equations()[4] == "a3 = w3 h1 + w4 h2"
    assert graph.forward()["L"] == 1.125
    assert graph.gradients()["dL_dw4"] == -9.0 and graph.gradients()["dL_dh1"] == -3.75


def test_check_answers_at_once_and_names_the_relus_that_are_off(capsys):
    graph = practice_graph(1)
    right = {**{name: value for name, value in graph.forward().items() if name[0] in "ahyL"}, **graph.gradients()}
    assert graph.check(right) == 0
    assert graph.check({"dL_dy": right["dL_dy"] + 1, "a1": None}) == 1
    out = capsys.readouterr().out
    assert "WRONG  dL/dy" in out and f"expected {right['dL_dy']:g}" in out
    assert f"0 of 1 right; ReLU off here: {', '.join(graph.off())}" in out
    assert graph.check({"a1": None}) == 0
    assert "nothing to check yet" in capsys.readouterr().out
    with pytest.raises(KeyError, match="no value named dL_dw99"):
        graph.check({"dL_dw99": 1.0})


def test_show_lists_the_equations_and_every_name_to_fill_in(capsys):
    graph = practice_graph(2)
    graph.show()
    out = capsys.readouterr().out
    assert all(line in out for line in graph.equations())
    assert "fill in: a1, h1" in out and "dL_dw1" in out


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_draw_draws_every_edge_and_node(seed, monkeypatch):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    monkeypatch.setattr(plt, "show", lambda: None)
    graph = practice_graph(seed)
    graph.draw(graph.forward())
    texts = [text.get_text() for text in plt.gcf().axes[0].texts]
    plt.close("all")
    nodes = 3 + len(graph.units)  # x, the hidden units, y and L
    assert len(texts) == len(graph.weights) + nodes
    assert f"L\n{graph.forward()['L']:.4g}" in texts and all(f"{w}={v:g}" in texts for w, v in graph.weights.items())
