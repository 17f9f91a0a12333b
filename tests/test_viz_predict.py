"""Predict, then reveal: the walkthrough asks for each ∂L/∂node, checks the typed number, names a slip
only when its formula reproduces the number, then shows the chain-rule product."""

import pytest

from backprop_course import viz
from backprop_course.viz import predict
from helpers.reference_library import reference_module
from helpers.viz_reference import REFERENCE, node_texts
from helpers.slide_network import SLIDE_GRADS

graph = reference_module("graph")
mlp = reference_module("mlp")

# Lesson 1's network by hand (x = 2, t = 1): y = -0.5, and the hidden units' gradients.
SLIDE_HIDDEN = {"∂L/∂y": -1.5, "∂L/∂h3": -3.0, "∂L/∂h4": 0.75, "∂L/∂h1": -3.75, "∂L/∂h2": 1.5}


def questions(walk):
    return {q.name: q for q in walk._trace.questions.values()}


def check(walk, name, typed):
    return predict.verdict(questions(walk)[name], typed)


def test_the_questions_are_the_hand_gradients_of_lesson_1():
    asked = questions(viz.GraphWalkthrough.slide_network(library=REFERENCE))
    assert {name: q.value for name, q in asked.items() if name[4:] in SLIDE_GRADS} == \
        {f"∂L/∂{w}": pytest.approx(g, rel=1e-12) for w, g in SLIDE_GRADS.items()}
    assert {name: q.value for name, q in asked.items() if name[4:] not in SLIDE_GRADS} == \
        pytest.approx(SLIDE_HIDDEN, rel=1e-12)
    assert [p.via for p in asked["∂L/∂h1"].paths] == ["a3", "a4"]


def test_every_question_of_a_small_mlp_and_a_scalar_graph_is_the_engines_gradient():
    model = mlp.MLP(2, (3,), 2, activation="tanh", rng=1)
    walk = viz.GraphWalkthrough.from_mlp(model, [0.3, -0.8], [0.5, -1.0])
    source = walk._source
    engine = {w.label: w.grad for ws, _ in source.scalars for row in ws for w in row}
    engine |= {name: (h.grad if name != pre else a.grad) for layer in source.units for name, pre, a, h in layer}
    asked = questions(walk)
    assert len(asked) == len(engine) == 6 + 6 + 3 + 2
    for name, q in asked.items():
        assert q.value == pytest.approx(engine[name[4:]], rel=1e-12, abs=1e-15), name
    x, w, b, t = (graph.Scalar(v, label=k) for v, k in ((2.0, "x"), (-0.5, "w"), (0.3, "b"), (1.0, "t")))
    loss = ((w * x + b).tanh() - t) ** 2
    asked = questions(viz.GraphWalkthrough(loss, params=[w, b]))
    assert asked["∂L/∂w"].value == pytest.approx(w.grad) and asked["∂L/∂b"].value == pytest.approx(b.grad)


def test_a_right_number_passes_to_three_significant_digits():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    assert check(walk, "∂L/∂h1", -3.75).right and check(walk, "∂L/∂h1", -3.751).right
    assert check(walk, "∂L/∂h1", -3.75).text == "right: ∂L/∂h1 = -3.75"
    assert not check(walk, "∂L/∂h1", -3.7).right


def test_a_left_out_path_is_named_with_its_product():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    result = check(walk, "∂L/∂h1", -3.0)
    assert result.named and not result.right
    assert result.text == ("your -3 is ∂L/∂h1 without the path through a4: ∂L/∂a4·w5 = 0.75×-1 = -0.75. "
                           "h1 feeds a3 and a4: its gradient adds one product per path")
    assert "without the path through a3" in check(walk, "∂L/∂h1", -0.75).text


def test_a_factor_off_is_named_only_when_it_alone_reproduces_the_number():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    weight = check(walk, "∂L/∂w4", 0.75)  # ∂L/∂a3·w4 = -3 × -0.25: the weight instead of its input h2
    assert weight.named and "w4 = -0.25 in place of h2 = 3" in weight.text and "is the input h2" in weight.text
    assert "with the factor h2 = 3 left out" in check(walk, "∂L/∂w4", -3.0).text
    assert check(walk, "∂L/∂y", 1.5).text == ("your 1.5 is t − y = 1.5: the derivative of ½(y − t)² with "
                                              "respect to y is y − t")
    assert "the ½ in L cancels the 2" in check(walk, "∂L/∂y", -3.0).text
    # Leaving out w5 and using h1 (= 1) for it both give -2.25: no name, what is observed instead.
    both = check(walk, "∂L/∂h1", -2.25)
    assert not both.named and both.text == ("your -2.25 for ∂L/∂h1: off by 1.5 (the gradient is -3.75) "
                                            "(more than one slip gives this number, so none is named)")


def test_without_a_reproducing_slip_the_verdict_says_what_is_observed():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE)
    assert check(walk, "∂L/∂w4", 9.0).text == ("your 9 for ∂L/∂w4: the right size with the wrong sign "
                                               "(the gradient is -9)")
    assert check(walk, "∂L/∂w4", -8.0).text == "your -8 for ∂L/∂w4: off by 1 (the gradient is -9)"
    assert check(walk, "∂L/∂w2", -1.0).text == ("your -1 for ∂L/∂w2: off by -4 and the wrong sign "
                                                "(the gradient is 3)")
    dead = viz.GraphWalkthrough.slide_network(library=REFERENCE, weights={"w1": -0.5})  # a1 < 0: h1 is a dead ReLU
    assert check(dead, "∂L/∂w1", 0.0).right
    assert check(dead, "∂L/∂w1", 5.0).text == ("your 5 for ∂L/∂w1: the gradient is 0 here: no path carries "
                                               "any gradient to this node")
    # The dead unit's relu' left out: ∂L/∂h1·x in place of ∂L/∂a1·x.
    through = questions(dead)["∂L/∂h1"].value * 2.0
    assert through != 0 and "includes the activation's derivative" in check(dead, "∂L/∂w1", through).text


def test_in_a_scalar_graph_the_product_rule_swap_is_named():
    x, w, b, t = (graph.Scalar(v, label=k) for v, k in ((2.0, "x"), (-0.5, "w"), (0.3, "b"), (1.0, "t")))
    loss = ((w * x + b).tanh() - t) ** 2
    walk = viz.GraphWalkthrough(loss, params=[w, b])
    q = questions(walk)["∂L/∂w"]
    upstream = q.paths[0].factors[0].value
    swapped = predict.verdict(q, upstream * w.value)
    assert swapped.named and "the other factor" in swapped.text


@pytest.mark.parametrize("text, value", [("-3.75", -3.75), ("−0.75", -0.75), ("-1.5*2.5", -3.75),
                                         ("3/4", 0.75), ("-1.5×2", -3.0), ("2,5", 2.5), (" (1+2)*-1 ", -3.0)])
def test_typed_numbers_may_be_arithmetic(text, value):
    assert predict.parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text, error", [("", "type a number first"), ("abc", "cannot read 'abc'"),
                                         ("__import__('os')", "cannot read"), ("1/0", "cannot read"),
                                         ("10**10**10", "cannot read"), ("1e400", "not a finite number")])
def test_anything_else_is_refused_in_one_line(text, error):
    with pytest.raises(ValueError, match=error):
        predict.parse_number(text)


def test_type_mode_asks_checks_then_reveals_the_product():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE, predict="type")
    assert walk.predict_row.layout.display == "none"
    walk.step_backward()  # ∂L/∂L = 1 is no question
    assert walk.message == "∂L/∂L = 1" and not walk.asking
    walk.step_backward()
    assert walk.asking and walk.active == "y" and walk.predict_row.layout.display is None
    assert walk.message == "predict ∂L/∂y: type your number and press check (or Enter)"
    assert node_texts(walk.svg, "grad")["y"] == ""
    walk.step_backward()  # no reveal without a number
    assert walk.asking and walk.message.startswith("type your ∂L/∂y")
    walk.answer.value = "oops"  # Enter: the box's value arrives
    assert walk.asking and "cannot read &#x27;oops&#x27;" in walk.status.value
    walk.answer.value = "1.5"
    assert not walk.asking and walk.answer.value == ""
    assert walk.message == "∂L/∂y = y − t = -1.5" and node_texts(walk.svg, "grad")["y"] == "∂ -1.5"
    assert 'class="bp-verdict bp-wrong"' in walk.status.value and "is t − y" in walk.status.value
    assert "is t − y" in walk.static_html()  # the saved picture shows the verdict too
    walk.step_backward()
    assert walk.check("-1.5*0.25").right and walk.message == "∂L/∂w7 = ∂L/∂y·h3 = -1.5×0.25 = -0.375"
    assert 'bp-verdict bp-right' in walk.status.value
    walk.step_backward()
    assert walk.verdict is None or walk.asking  # a new question clears the old verdict
    walk.update()
    assert not walk.asking and walk.verdict is None and walk.predict_row.layout.display == "none"


def test_room_mode_reveals_at_the_next_press_and_play_waits_at_each_question():
    walk = viz.GraphWalkthrough.slide_network(library=REFERENCE, predict="room")
    assert walk.reveal_button in walk.predict_row.children
    walk.step_backward()
    walk.step_backward()
    assert walk.asking and walk.message.startswith("ask the room for ∂L/∂y")
    walk.step_backward()  # the room has answered: the next press reveals
    assert not walk.asking and walk.message == "∂L/∂y = y − t = -1.5" and walk.verdict is None
    walk.play.playing = True
    walk.next()
    assert walk.asking and not walk.play.playing
    walk.reveal()
    assert walk.message.startswith("∂L/∂w7")


def test_a_layer_sized_walkthrough_asks_nothing_and_modes_are_checked():
    model = mlp.MLP(2, (16,), 1, activation="relu", rng=0)
    walk = viz.GraphWalkthrough.from_mlp(model, [0.1, 0.2], [1.0], predict="type")
    assert walk._trace.questions == {}
    walk.step_backward()
    walk.step_backward()
    assert not walk.asking
    with pytest.raises(ValueError, match="predict must be one of"):
        viz.GraphWalkthrough.slide_network(library=REFERENCE, predict="yes")
