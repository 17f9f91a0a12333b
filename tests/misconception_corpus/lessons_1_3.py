"""Planted bugs of lessons 1-3, one typical bug per task per submission (see ``__init__``).

Lesson 1's hand answers (tasks 1 and 2) are planted in the source notebook's answer cells, its
engine (tasks 3 and 4) in graph.py; lessons 2 and 3 in layers.py. A lesson has as many
submissions as its task with the most catalogued misconceptions (lesson 1, task 3: 16).
"""
from backprop_course.autograder.bug_planting import NOTEBOOK


# ---- lesson 1 -----------------------------------------------------------------------------------

L1 = "01_computation_graph"
FORWARD = [  # task 1: the hand forward values (values before the wrong one stay right)
    ("loss-without-half", [("y, L = -0.5, 1.125", "y, L = -0.5, 2.25")]),
    ("loss-not-squared", [("y, L = -0.5, 1.125", "y, L = -0.5, -0.75")]),
    ("weight-sign-dropped", [("a3, h3, a4, h4 = 0.25, 0.25, 2.0, 2.0", "a3, h3, a4, h4 = 1.75, 1.75, 2.0, 2.0")]),
    ("edges-swapped", [("a3, h3, a4, h4 = 0.25, 0.25, 2.0, 2.0", "a3, h3, a4, h4 = -2.0, 0.0, 2.75, 2.75")]),
]
GRADIENTS = [  # task 2: the hand gradients
    ("dLdy-sign", [("dL_dy, dL_dh3, dL_dh4 = -1.5, -3.0, 0.75", "dL_dy, dL_dh3, dL_dh4 = 1.5, -3.0, 0.75")]),
    ("dLdy-factor-2", [("dL_dy, dL_dh3, dL_dh4 = -1.5, -3.0, 0.75", "dL_dy, dL_dh3, dL_dh4 = -3.0, -3.0, 0.75")]),
    ("weight-instead-of-input", [("dL_dw5, dL_dw6, dL_dw7, dL_dw8 = 0.75, 2.25, -0.375, -3.0",
                                 "dL_dw5, dL_dw6, dL_dw7, dL_dw8 = 0.75, 2.25, -3.0, -3.0")]),
    ("one-path-only", [("dL_dh1, dL_dh2 = -3.75, 1.5", "dL_dh1, dL_dh2 = -3.0, 1.5")]),
    ("local-derivative-missing", [("dL_dy, dL_dh3, dL_dh4 = -1.5, -3.0, 0.75",
                                  "dL_dy, dL_dh3, dL_dh4 = -1.5, -1.5, 0.75")]),
]
MUL, DIV = "return (other.value, self.value)", "return (1.0 / other.value, -self.value / other.value**2)"
POW, SIG = "return (exponent * self.value ** (exponent - 1),)", "return (out * (1.0 - out),)"
TANH, RELU = "return (1.0 - out * out,)", "return (1.0 if self.value > 0.0 else 0.0,)"
LOCAL = [  # task 3: local derivatives in graph.py
    ("product-swapped", [(MUL, "return (self.value, other.value)")]),
    ("product-as-sum", [(MUL, "return (1.0, 1.0)")]),
    ("difference-sign", [("return (1.0, -1.0)", "return (1.0, 1.0)")]),
    ("quotient-sign", [(DIV, "return (1.0 / other.value, self.value / other.value**2)")]),
    ("quotient-without-a", [(DIV, "return (1.0 / other.value, -1.0 / other.value**2)")]),
    ("power-not-lowered", [(POW, "return (exponent * self.value ** exponent,)")]),
    ("power-without-n", [(POW, "return (self.value ** (exponent - 1),)")]),
    ("negation-sign", [("return (-1.0,)", "return (1.0,)")]),
    ("exp-power-rule", [("return (out,)", "return (self.value * math.exp(self.value - 1),)")]),
    ("log-from-output", [("return (1.0 / self.value,)", "return (1.0 / math.log(self.value),)")]),
    ("tanh-one-minus-out", [(TANH, "return (1.0 - out,)")]),
    ("tanh-from-input", [(TANH, "return (1.0 - self.value * self.value,)")]),
    ("sigmoid-from-input", [(SIG, "return (self.value * (1.0 - self.value),)")]),
    ("sigmoid-derivative-sign", [(SIG, "return (out * (out - 1.0),)")]),
    ("relu-kink-one", [(RELU, "return (1.0 if self.value >= 0.0 else 0.0,)")]),
    ("relu-value-not-slope", [(RELU, "return (max(self.value, 0.0),)")]),
]
SWEEP = "parent.grad += local * node.grad"
BACKWARD = [  # task 4: Scalar.backward in graph.py
    ("backward-overwrites", [(SWEEP, "parent.grad = local * node.grad")]),
    ("backward-forward-order", [("for node in reversed(order):", "for node in order:")]),
    ("backward-without-upstream", [(SWEEP, "parent.grad += local")]),
    ("backward-without-local", [(SWEEP, "parent.grad += node.grad")]),
]

# ---- lesson 2 -----------------------------------------------------------------------------------

L2 = "02_linear_layer"
OUT = 'return x @ self.params["W"] + self.params["b"]'
DW, DB = 'self.grads["W"] = self.cache.T @ grad_out', 'self.grads["b"] = grad_out.sum(axis=0)'
DX = 'return grad_out @ self.params["W"].T'
LINEAR_FORWARD = [
    ("forward-without-bias", [(OUT, 'return x @ self.params["W"]')]),
    ("forward-bias-subtracted", [(OUT, 'return x @ self.params["W"] - self.params["b"]')]),
    ("forward-with-activation", [(OUT, 'return np.maximum(x @ self.params["W"] + self.params["b"], 0)')]),
    ("forward-bias-summed", [(OUT, 'return x @ self.params["W"] + self.params["b"].sum()')]),
]
PARAM_BACKWARD = [
    ("db-mean", [(DB, 'self.grads["b"] = grad_out.mean(axis=0)')]),
    ("db-sum-all", [(DB, 'self.grads["b"] = grad_out.sum()')]),
    ("db-wrong-axis", [(DB, 'self.grads["b"] = grad_out.sum(axis=1)')]),
    ("grads-accumulated", [(DW, 'self.grads["W"] += self.cache.T @ grad_out'),
                          (DB, 'self.grads["b"] += grad_out.sum(axis=0)')]),
    ("dW-divided-by-N", [(DW, 'self.grads["W"] = self.cache.T @ grad_out / len(grad_out)')]),
    ("dW-transposed", [(DW, 'self.grads["W"] = grad_out.T @ self.cache')]),
]
INPUT_GRAD = [
    ("dx-without-transpose", [(DX, 'return grad_out @ self.params["W"]')]),
    ("dx-transposed", [(DX, 'return self.params["W"] @ grad_out.T')]),
    ("dx-divided-by-N", [(DX, 'return grad_out @ self.params["W"].T / len(grad_out)')]),
]

# ---- lesson 3 -----------------------------------------------------------------------------------

L3 = "03_activations"
RELU_F, RELU_D = "return np.maximum(x, 0)", "return (out > 0).astype(out.dtype)"
SIG_F, SIG_D = "return np.where(x >= 0, 1, e) / (1 + e)", "return out * (1 - out)"
TANH_F, TANH_D = "return np.tanh(x)", "return 1 - out * out"
RELU_TASK = [
    ("relu-abs", [(RELU_F, "return np.abs(x)")]),
    ("relu-min", [(RELU_F, "return np.minimum(x, 0)")]),
    ("relu-step", [(RELU_F, "return (x > 0).astype(x.dtype)")]),
    ("relu-derivative-value", [(RELU_D, "return out * 1")]),
    ("relu-kink-one", [(RELU_D, "return (out >= 0).astype(out.dtype)")]),
]
SIGMOID_TASK = [
    ("sigmoid-sign-flipped", [(SIG_F, "return np.where(x >= 0, e, 1) / (1 + e)")]),
    ("sigmoid-naive-overflow", [(SIG_F, "return np.exp(x) / (1 + np.exp(x))")]),
    ("sigmoid-double-argument", [(SIG_F, "return 0.5 * np.tanh(x) + 0.5")]),
    ("derivative-from-input", [(SIG_D, "return sigmoid(out) * (1 - sigmoid(out))")]),
    ("sigmoid-derivative-sign", [(SIG_D, "return out * (out - 1)")]),
    ("sigmoid-derivative-is-tanh", [(SIG_D, "return (1 - out) * (1 + out)")]),
    ("sigmoid-derivative-one-minus-out", [(SIG_D, "return 1 - out")]),
]
TANH_TASK = [
    ("tanh-naive-overflow", [(TANH_F, "return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))")]),
    # written out, not through sigmoid(): a sigmoid bug planted in the same submission must not mend it
    ("tanh-is-sigmoid", [(TANH_F, "return 1 / (1 + np.exp(-x))")]),
    ("tanh-half-argument", [(TANH_F, "return 2 / (1 + np.exp(-x)) - 1")]),
    ("tanh-one-minus-out", [(TANH_D, "return 1 - out")]),
    ("derivative-from-input", [(TANH_D, "return 1 - np.tanh(out) ** 2")]),
    ("tanh-derivative-sign", [(TANH_D, "return out * out - 1")]),
    ("tanh-derivative-is-sigmoid", [(TANH_D, "return out - out * out")]),
    # the other naive form, (e^2x - 1) / (e^2x + 1): the same key
    ("tanh-naive-overflow", [(TANH_F, "return (np.exp(2 * x) - 1) / (np.exp(2 * x) + 1)")]),
]


def submissions(lesson, module_of_task):
    """Full-lesson submissions: the k-th plants the k-th bug of every task that has one.

    module_of_task: [(graded cell id, module or NOTEBOOK, [(key, [(line, bug)])])]. Returns
    [(id, lesson, {module: changes}, {cell: key})] in the format of ``__init__``."""
    count = max(len(bugs) for _, _, bugs in module_of_task)
    made = []
    for k in range(count):
        planted, expected = {}, {}
        for cell, module, bugs in module_of_task:
            if k < len(bugs):
                key, changes = bugs[k]
                planted.setdefault(module, []).extend(changes)
                expected[cell] = key
        made.append((f"{lesson[:2]}-{k + 1}-" + "+".join(expected.values()), lesson, planted, expected))
    return made


SUBMISSIONS = (
    submissions(L1, [("task1-check", NOTEBOOK, FORWARD), ("task2-check", NOTEBOOK, GRADIENTS),
                     ("task3-check", "graph.py", LOCAL), ("task4-check", "graph.py", BACKWARD)])
    + submissions(L2, [("task1-check", "layers.py", LINEAR_FORWARD), ("task2-check", "layers.py", PARAM_BACKWARD),
                       ("task3-check", "layers.py", INPUT_GRAD)])
    + submissions(L3, [("task1-check", "layers.py", RELU_TASK), ("task2-check", "layers.py", SIGMOID_TASK),
                       ("task3-check", "layers.py", TANH_TASK)])
)

ALTERNATIVES = [
    ("l1-alt-engine-and-arithmetic", L1, {
        NOTEBOOK: [("y, L = -0.5, 1.125", "y, L = -0.5, 0.5 * (-0.5 - 1.0) ** 2")],
        "graph.py": [(TANH, "return (1.0 - math.tanh(self.value) ** 2,)"),
                     (SIG, "return (out - out * out,)"),
                     (DIV, "return (1.0 / other.value, -(self.value / other.value) / other.value)"),
                     ("for node in reversed(order):", "for node in order[::-1]:"),
                     (SWEEP, "parent.grad = parent.grad + node.grad * local")]}),
    ("l1-alt-math-module", L1, {
        "graph.py": [(MUL, "return float(other.value), float(self.value)"),
                     (POW, "return (exponent * math.pow(self.value, exponent - 1),)"),
                     ("return (out,)", "return (math.exp(self.value),)"),
                     (RELU, "return (float(self.value > 0.0),)"),
                     ("return (1.0, -1.0)", "return 1.0, -1.0")]}),
    ("l2-alt-einsum-and-dot", L2, {
        "layers.py": [(OUT, 'return np.dot(x, self.params["W"]) + self.params["b"]'),
                      (DW, 'self.grads["W"] = np.einsum("ni,no->io", self.cache, grad_out)'),
                      (DB, 'self.grads["b"] = np.sum(grad_out, axis=0)'),
                      (DX, 'return np.dot(grad_out, self.params["W"].T)')]}),
    ("l2-alt-in-place-writes", L2, {
        "layers.py": [(OUT, 'out = np.matmul(x, self.params["W"])\n        out += self.params["b"]\n        return out'),
                      (DW, 'np.matmul(self.cache.T, grad_out, out=self.grads["W"])'),
                      (DB, 'np.sum(grad_out, axis=0, out=self.grads["b"])'),
                      (DX, 'return np.einsum("no,io->ni", grad_out, self.params["W"])')]}),
    ("l3-alt-where-and-expm1", L3, {
        "layers.py": [(RELU_F, "return x * (x > 0)"),
                      (RELU_D, "return np.greater(out, 0).astype(out.dtype)"),
                      (SIG_F, "return np.where(x >= 0, 1 / (1 + e), e / (1 + e))"),
                      (SIG_D, "return out - out * out"),
                      (TANH_F, "m = np.expm1(-2 * np.abs(x))\n    return -np.sign(x) * m / (2 + m)"),
                      (TANH_D, "return (1 - out) * (1 + out)")]}),
    ("l3-alt-logaddexp-and-out", L3, {
        "layers.py": [(RELU_F, "return np.maximum(x, 0, out=np.empty_like(x))"),
                      (RELU_D, "return np.heaviside(out, 0.0).astype(out.dtype)"),
                      (SIG_F, "return np.exp(-np.logaddexp(0, -x))"),
                      (SIG_D, "return np.multiply(out, 1 - out)"),
                      (TANH_F, "return np.tanh(x, out=np.empty_like(x))"),
                      (TANH_D, "return 1 - np.square(out)")]}),
]
