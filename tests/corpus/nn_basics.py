"""A corpus of nn-basics submissions made from the solution by code transformations.

Each entry replaces one or more answer cells (by nbgrader id) of the solved notebook with
another student's code. ``CORRECT`` entries are correct-but-different answers and must get
full marks; ``MISTAKES`` are realistic bugs, each stating which exercises lose their points
(every check of an exercise goes when its notebook test cell fails, as in nbgrader, and an
exercise that calls a broken one may fail with it), the single checks lost where the test
cell still passes, and a phrase the message must contain to name the mistake.

Only the transformations live in the repository; notebooks are built in the test's tmp dir.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

T = '    """."""\n'  # a docstring line, as students keep the one given


def fn(signature: str, body: str) -> str:
    lines = [f"def {signature}:", T.rstrip("\n")] + [f"    {line}" for line in body.strip("\n").split("\n")]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class Variant:
    name: str
    cells: dict  # nbgrader grade_id -> new source of that answer cell
    exercises: frozenset = frozenset()  # exercises losing all their checks
    checks: frozenset = frozenset()  # single checks lost (test ids) besides those
    says: str = ""  # a phrase of the failing checks' messages that names the mistake

    def apply(self, notebook):
        notebook = copy.deepcopy(notebook)
        found = set()
        for cell in notebook.cells:
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id in self.cells:
                cell.source = self.cells[grade_id]
                found.add(grade_id)
        missing = set(self.cells) - found
        if missing:
            raise KeyError(f"{self.name}: no cells {sorted(missing)}")
        return notebook


def ok(name: str, **cells) -> Variant:
    return Variant(name, {k.replace("_", "-"): v for k, v in cells.items()})


def bad(name: str, cells: dict, exercises=(), checks=(), says="") -> Variant:
    return Variant(name, cells, frozenset(exercises), frozenset(checks), says)


MLP_SHAPES = "[(64, 100), (100,), (100, 50), (50,), (50, 10), (10,)]"

CORRECT = [
    # the corpus probe of 2026-12-03: a constructor bound to a name before the test cell's
    # spy was set (the hidden test said it was not used), and a class whose tape sits in a
    # method manual_gradients never calls (the reading counted every method of the class)
    ok("first-examples-aliased-constructor",
       first_examples="from_slices = tf.data.Dataset.from_tensor_slices\n\n"
       + fn("first_examples(X_numpy, k)", """
return np.stack(list(from_slices(X_numpy).take(k).as_numpy_iterator()))""")),
    ok("gradients-in-a-class",
       tape_gradients="class LinearSoftmax:\n"
       "    def __init__(self, W, b):\n"
       "        self.W = tf.Variable(W, dtype=tf.float32)\n"
       "        self.b = tf.Variable(b, dtype=tf.float32)\n\n"
       "    def tape_grads(self, X, target):\n"
       "        with tf.GradientTape() as tape:\n"
       "            L = loss(X, target, self.W, self.b)\n"
       "        return tuple(tape.gradient(L, [self.W, self.b]))\n\n"
       "    def manual_grads(self, X, target):\n"
       "        X = np.asarray(X, np.float32)\n"
       "        P = softmax(X @ self.W.numpy() + self.b.numpy())\n"
       "        delta = (np.asarray(P) - np.eye(10, dtype=np.float32)[target]) / len(X)\n"
       "        return X.T @ delta, delta.sum(axis=0)\n\n\n"
       + fn("tape_gradients(X, target, W, b)",
            "return LinearSoftmax(W, b).tape_grads(X, target)"),
       manual_gradients=fn("manual_gradients(X, target, W, b)",
                           "return LinearSoftmax(W, b).manual_grads(X, target)")),
    # a notebook's habits: shell commands and magics in answer cells, a namedtuple (dW, db)
    ok("notebook-habits-shell-magic-namedtuple",
       list_device_types="!nvidia-smi\n%matplotlib inline\n" + fn("list_device_types()", """
return sorted({d.device_type for d in tf.config.list_physical_devices()})"""),
       tape_gradients="import collections\nGradients = collections.namedtuple('Gradients', 'dW db')\n\n"
       + fn("tape_gradients(X, target, W, b)", """
W = tf.Variable(W, dtype=tf.float32)
b = tf.Variable(b, dtype=tf.float32)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
dW, db = tape.gradient(L, [W, b])
return Gradients(dW, db)""")),
    # the corpus probe of 2026-12-03 (third): NumPy set to raise on every floating-point
    # event made an underflow in the instructor's np.allclose fail two test cells (7 points)
    ok("numpy-raises-on-every-event", list_device_types="np.seterr(all='raise')\n\n" + fn(
        "list_device_types()", """
return sorted(set(d.device_type for d in tf.config.list_physical_devices()))""")),
    ok("seed-negative", seed="SEED = -24  # loss 59.17: tf.random.set_seed takes any 64-bit int"),
    # a local ``losses`` is not the ``keras.losses`` another cell imports
    ok("cross-entropy-local-losses-keras-imported-elsewhere",
       loss="from tensorflow.keras import losses  # to compare with Keras later\n\n"
       + fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
sce = tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, depth=10), logits)
return tf.reduce_mean(sce)"""),
       cross_entropy=fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
t = tf.cast(onehot_target, z.dtype)
z_max = tf.reduce_max(z, axis=1, keepdims=True)
log_probs = z - (z_max + tf.math.log(tf.reduce_sum(tf.exp(z - z_max), axis=1, keepdims=True)))
losses = -tf.reduce_sum(t * log_probs, axis=1)
return losses""")),
    ok("devices-set-comprehension", list_device_types=fn("list_device_types()", """
return sorted(set(d.device_type for d in tf.config.list_physical_devices()))""")),
    ok("devices-from-a-constant", list_device_types="DEVICES = tf.config.list_physical_devices()\n\n"
       + fn("list_device_types()", """
return sorted({str(d.device_type) for d in DEVICES})""")),
    ok("devices-loop", list_device_types=fn("list_device_types()", """
types = []
for device in tf.config.list_physical_devices():
    if device.device_type not in types:
        types.append(device.device_type)
types.sort()
return types""")),
    ok("scalar-dtype-string", make_scalar=fn("make_scalar(value, dtype)", """
return tf.constant(value, dtype=dtype)""")),
    ok("scalar-cast-in-its-dtype", make_scalar=fn("make_scalar(value, dtype)", """
return tf.cast(tf.constant(value, dtype=dtype), tf.as_dtype(dtype))""")),
    ok("scalar-variable", make_scalar=fn("make_scalar(value, dtype)", """
return tf.Variable(value, dtype=dtype)""")),
    ok("dot-reduce-sum", dot=fn("dot(a, b)", "return tf.reduce_sum(a * b)")),
    ok("dot-numpy", dot=fn("dot(a, b)", "return np.dot(a, b)")),
    ok("dot-python-float", dot=fn("dot(a, b)", """
return float(np.dot(np.asarray(a, np.float64), np.asarray(b, np.float64)))""")),
    ok("dot-generator-sum", dot=fn("dot(a, b)", "return sum(x * y for x, y in zip(a, b))")),
    ok("matmul-operator", matmul=fn("matmul(A, B)", "return A @ B")),
    ok("matmul-tensordot", matmul=fn("matmul(A, B)", "return tf.tensordot(A, B, axes=1)")),
    ok("matmul-einsum", matmul=fn("matmul(A, B)", 'return np.einsum("ij,jk->ik", A, B)')),
    ok("diabetes-constant", load_diabetes_tensor=fn("load_diabetes_tensor()", """
return tf.constant(sklearn_datasets.load_diabetes().data, dtype=tf.float32)""")),
    ok("diabetes-return-x-y", load_diabetes_tensor=fn("load_diabetes_tensor()", """
from sklearn.datasets import load_diabetes
X, _ = load_diabetes(return_X_y=True)
return tf.cast(X, tf.float32)""")),
    ok("first-take-list", first_examples=fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensor_slices(X_numpy).take(k)
return np.array(list(ds.as_numpy_iterator()))""")),
    ok("first-batch", first_examples=fn("first_examples(X_numpy, k)", """
batch = next(iter(tf.data.Dataset.from_tensor_slices(X_numpy).batch(k)))
return batch.numpy()""")),
    ok("perceptron-matvec", perceptron=fn("perceptron(X, w, b)",
                                          "return tf.linalg.matvec(X, w) + b")),
    ok("perceptron-numpy", perceptron=fn("perceptron(X, w, b)",
                                         "return np.asarray(X) @ np.asarray(w) + b")),
    ok("logits-numpy", linear_logits=fn("linear_logits(X, W, b)", "return np.matmul(X, W) + b")),
    ok("logits-bias-add", linear_logits=fn("linear_logits(X, W, b)",
                                           "return tf.nn.bias_add(tf.matmul(X, W), b)")),
    ok("softmax-numpy", softmax=fn("softmax(logits)", """
z = np.asarray(logits)
z = z - z.max(axis=1, keepdims=True)
e = np.exp(z)
return e / e.sum(axis=1, keepdims=True)""")),
    ok("softmax-logsumexp", softmax=fn("softmax(logits)", """
z = tf.convert_to_tensor(logits)
return tf.exp(z - tf.reduce_logsumexp(z, axis=1, keepdims=True))""")),
    ok("softmax-expand-dims", softmax=fn("softmax(logits)", """
z = tf.convert_to_tensor(logits, dtype=tf.float32)
shifted = z - tf.expand_dims(tf.math.reduce_max(z, axis=1), 1)
numerator = tf.math.exp(shifted)
return numerator / tf.expand_dims(tf.math.reduce_sum(numerator, axis=1), 1)""")),
    ok("one-hot-eye", one_hot=fn("one_hot(target, depth)",
                                 "return np.eye(depth, dtype=np.float32)[np.asarray(target)]")),
    ok("one-hot-equal", one_hot=fn("one_hot(target, depth)", """
columns = tf.range(depth)[tf.newaxis, :]
rows = tf.cast(target, tf.int32)[:, tf.newaxis]
return tf.cast(tf.equal(columns, rows), tf.float32)""")),
    ok("ce-reduce-logsumexp", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
t = tf.cast(onehot_target, z.dtype)
return -tf.reduce_sum(t * (z - tf.reduce_logsumexp(z, axis=1, keepdims=True)), axis=1)""")),
    ok("ce-numpy-float64", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
z = np.asarray(logits, np.float64)
top = z.max(axis=1, keepdims=True)
lse = top + np.log(np.exp(z - top).sum(axis=1, keepdims=True))
return -(np.asarray(onehot_target) * (z - lse)).sum(axis=1)""")),
    ok("loss-own-functions", loss=fn("loss(X, target, W, b)", """
return tf.reduce_mean(cross_entropy(one_hot(target, 10), tf.matmul(X, W) + b))""")),
    ok("loss-sparse", loss=fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=logits))""")),
    ok("seed-from-search", seed="SEED = good_seeds[0][0]\n"),
    ok("seed-numpy-int", seed="SEED = np.int64(18)\n"),
    ok("tape-watch-constants", tape_gradients=fn("tape_gradients(X, target, W, b)", """
W = tf.convert_to_tensor(W, tf.float32)
b = tf.convert_to_tensor(b, tf.float32)
with tf.GradientTape() as tape:
    tape.watch([W, b])
    L = loss(X, target, W, b)
return tuple(tape.gradient(L, [W, b]))""")),
    ok("tape-persistent", tape_gradients=fn("tape_gradients(X, target, W, b)", """
W = tf.Variable(tf.convert_to_tensor(W, tf.float32))
b = tf.Variable(tf.convert_to_tensor(b, tf.float32))
with tf.GradientTape(persistent=True) as tape:
    L = loss(X, target, W, b)
dW = tape.gradient(L, W)
db = tape.gradient(L, b)
return dW, db""")),
    ok("manual-numpy", manual_gradients=fn("manual_gradients(X, target, W, b)", """
X = np.asarray(X, np.float32)
y_hat = np.asarray(softmax(X @ np.asarray(W) + np.asarray(b)))
T = np.eye(np.shape(W)[1], dtype=np.float32)[np.asarray(target)]
delta = (y_hat - T) / len(X)
return X.T @ delta, delta.sum(axis=0)""")),
    ok("manual-transpose", manual_gradients=fn("manual_gradients(X, target, W, b)", """
X = tf.constant(X, dtype=tf.float32)
m = X.shape[0]
delta = (softmax(tf.matmul(X, W) + b) - tf.one_hot(target, 10)) / m
return tf.transpose(X) @ delta, tf.reduce_sum(delta, 0)""")),
    ok("init-numpy", init_mlp=fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
return [tf.random.normal(shape).numpy() for shape in {MLP_SHAPES}]""")),
    ok("init-variables-loop", init_mlp=fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
params = []
for shape in {MLP_SHAPES}:
    params.append(tf.Variable(tf.random.normal(shape)))
return params""")),
    ok("forward-numpy-tanh", mlp_forward=fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = [np.asarray(p) for p in params]
A1 = np.tanh(np.asarray(X) @ W1 + b1)
A2 = np.tanh(A1 @ W2 + b2)
return softmax(A2 @ W3 + b3)""")),
    ok("forward-loop", mlp_forward=fn("mlp_forward(X, params)", """
A = tf.convert_to_tensor(X, tf.float32)
for W, b in zip(params[0:4:2], params[1:4:2]):
    A = tf.tanh(tf.matmul(A, W) + b)
return softmax(tf.matmul(A, params[4]) + params[5])""")),
    ok("mlp-loss-own-ce", mlp_loss=fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
Z3 = tf.matmul(tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2), W3) + b3
return tf.reduce_mean(cross_entropy(one_hot(target, 10), Z3))""")),
    ok("mlp-loss-sparse", mlp_loss=fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
A2 = tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2)
Z3 = tf.matmul(A2, W3) + b3
return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=target, logits=Z3))""")),
    ok("gd-subtract", gd_step=fn("gd_step(params, grads, alpha)", """
return [tf.subtract(p, alpha * g) for p, g in zip(params, grads)]""")),
    ok("train-variables", train=fn("train(X, target, params, alpha, epochs)", """
variables = [tf.Variable(p, dtype=tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        L = mlp_loss(X, target, variables)
    grads = tape.gradient(L, variables)
    losses.append(L.numpy())
    for v, g in zip(variables, grads):
        v.assign_sub(alpha * g)
return losses""")),
    # a fairness probe of 2026-12-04: a logger's ``self.events`` refused the notebook (0/34)
    ok("train-with-an-event-log", train="class TrainingLog:\n"
       "    def __init__(self):\n"
       "        self.events = []\n\n"
       "    def record(self, epoch, value):\n"
       "        self.events.append((epoch, float(value)))\n\n"
       "    def losses(self):\n"
       "        return [v for _, v in self.events]\n\n\n"
       + fn("train(X, target, params, alpha, epochs)", """
log = TrainingLog()
X = tf.constant(X, tf.float32)
params = [tf.constant(p, tf.float32) for p in params]
for epoch in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X, target, params)
    log.record(epoch, L)
    params = gd_step(params, tape.gradient(L, params), alpha)
return log.losses()""")),
    # a fairness probe of 2026-12-04 (night): tqdm was not installed where the grader runs,
    # so a progress bar over the epochs cost train its 3 points (ModuleNotFoundError)
    ok("train-with-a-tqdm-progress-bar", train="from tqdm import tqdm\n\n\n"
       + fn("train(X, target, params, alpha, epochs)", """
params = [tf.constant(p, tf.float32) for p in params]
losses = []
for _ in tqdm(range(epochs), desc="epochs", leave=False):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X, target, params)
    losses.append(float(L))
    params = gd_step(params, tape.gradient(L, params), alpha)
return losses""")),
    ok("train-with-tqdm-auto-trange", train="from tqdm.auto import trange\n\n\n"
       + fn("train(X, target, params, alpha, epochs)", """
params = [tf.Variable(p, dtype=tf.float32) for p in params]
losses = []
bar = trange(epochs)
for _ in bar:
    with tf.GradientTape() as tape:
        L = mlp_loss(X, target, params)
    bar.set_postfix(loss=float(L))
    losses.append(float(L))
    new = gd_step(params, tape.gradient(L, params), alpha)
    for variable, value in zip(params, new):
        variable.assign(value)
return losses""")),
    ok("train-python-floats", train=fn("train(X, target, params, alpha, epochs)", """
current = [tf.convert_to_tensor(p, dtype=tf.float32) for p in params]
history = []
for epoch in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(current)
        L = mlp_loss(tf.constant(X, tf.float32), target, current)
    history.append(L.numpy().item())
    current = gd_step(current, tape.gradient(L, current), alpha)
return history""")),
]

# exercises whose test cells call another exercise (nbgrader fails them together)
SOFTMAX_USERS = ("softmax", "mlp_forward", "manual_gradients")
# the visible test cells of tape_gradients and SEED call the student's loss; manual_gradients'
# compares with TensorFlow's own gradient, not with the student's loss or tape
LOSS_USERS = ("loss", "tape_gradients", "SEED")
# the test cells of mlp_forward, mlp_loss and train draw their own parameters (an init_mlp
# mistake cost 7 more points through them until 2026-12-03), so only init_mlp's own count
INIT_USERS = ("init_mlp",)

MISTAKES = [
    # the corpus probe of 2026-12-03 (third): another library's softmax passed
    bad("softmax-scipy", {"softmax": "from scipy.special import softmax as scipy_softmax\n\n"
                          + fn("softmax(logits)", """
return scipy_softmax(np.asarray(logits), axis=1)""")}, ["softmax"],
        says="scipy.special.softmax"),
    bad("softmax-naive", {"softmax": fn("softmax(logits)", """
e = tf.exp(logits)
return e / tf.reduce_sum(e, axis=1, keepdims=True)""")}, ["softmax", "manual_gradients"],
        says="NaN"),
    bad("softmax-mean-shift", {"softmax": fn("softmax(logits)", """
z = logits - tf.reduce_mean(logits, axis=1, keepdims=True)
return tf.exp(z) / tf.reduce_sum(tf.exp(z), axis=1, keepdims=True)""")},
        ["softmax", "manual_gradients"], says="not its mean"),
    bad("softmax-axis-0", {"softmax": fn("softmax(logits)", """
z = logits - tf.reduce_max(logits, axis=0, keepdims=True)
return tf.exp(z) / tf.reduce_sum(tf.exp(z), axis=0, keepdims=True)""")}, SOFTMAX_USERS,
        says="axis=0"),
    bad("softmax-no-keepdims", {"softmax": fn("softmax(logits)", """
z = logits - tf.reduce_max(logits, axis=1, keepdims=True)
return tf.exp(z) / tf.reduce_sum(tf.exp(z), axis=1)""")}, SOFTMAX_USERS, says="keepdims"),
    bad("softmax-calls-tf-nn", {"softmax": fn("softmax(logits)",
                                              "return tf.nn.softmax(logits, axis=1)")},
        ["softmax"], says="`tf.nn.softmax`"),
    bad("softmax-imported-alias", {"softmax": "from tensorflow.math import softmax as tf_softmax\n"
                                   + fn("softmax(logits)", "return tf_softmax(logits)")},
        ["softmax"], says="`tf.math.softmax`"),
    bad("softmax-alias-behind-a-help-line", {"softmax": (
        "from tensorflow.math import softmax as tf_softmax\ntf_softmax?\n"
        + fn("softmax(logits)", "return tf_softmax(logits, axis=1)"))},
        ["softmax"], says="`tf.math.softmax`"),
    bad("softmax-partial", {"softmax": (
        "import functools\nrow_softmax = functools.partial(tf.math.softmax, axis=1)\n\n"
        + fn("softmax(logits)", "return row_softmax(logits)"))},
        ["softmax"], says="`tf.math.softmax`"),
    bad("softmax-raw-op", {"softmax": fn("softmax(logits)",
                                         "return tf.raw_ops.Softmax(logits=logits)")},
        ["softmax"], says="Softmax operation"),
    bad("ce-raw-op", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
logits = tf.convert_to_tensor(logits)
return tf.raw_ops.SoftmaxCrossEntropyWithLogits(
    features=logits, labels=tf.cast(onehot_target, logits.dtype))[0]""")},
        ["cross_entropy"], says="SoftmaxCrossEntropyWithLogits operation"),
    bad("manual-gradients-compat-tape", {"manual-gradients": fn(
        "manual_gradients(X, target, W, b)", """
W = tf.Variable(W, dtype=tf.float32)
b = tf.Variable(b, dtype=tf.float32)
with tf.compat.v2.GradientTape() as tape:
    L = loss(X, target, W, b)
return tuple(tape.gradient(L, [W, b]))""")}, ["manual_gradients"], says="gradient tapes"),
    bad("one-hot-float64", {"one-hot": fn("one_hot(target, depth)",
                                          "return tf.one_hot(target, depth, dtype=tf.float64)")},
        ["one_hot", "manual_gradients"], says="float64"),
    bad("one-hot-wrong-depth", {"one-hot": fn("one_hot(target, depth)",
                                              "return tf.one_hot(target, depth + 1)")},
        ["one_hot", "manual_gradients"], says="wrong depth"),
    bad("one-hot-int", {"one-hot": fn("one_hot(target, depth)",
                                      "return tf.one_hot(target, depth, dtype=tf.int32)")},
        ["one_hot", "manual_gradients"], says="int32"),
    bad("ce-log-of-softmax", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
return -tf.reduce_sum(onehot_target * tf.math.log(softmax(logits)), axis=1)""")},
        ["cross_entropy"], says="log of a softmax"),
    # a later cell redefines softmax with the API: the last definition is the one graded,
    # and the message points at its cell (the softmax cell itself is fine)
    bad("softmax-redefined-later-with-the-api", {"mlp-forward": """def softmax(z):
    return tf.nn.softmax(z)

""" + fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")}, ["softmax"], says="defined last, in code cell"),
    # a naive draft of softmax left in a later cell: the stability check says which
    # definition it graded (the corpus probe's message named only the missing maximum)
    bad("softmax-naive-redefined-later", {"mlp-forward": """def softmax(z):
    e = tf.exp(z)
    return e / tf.reduce_sum(e, axis=1, keepdims=True)

""" + fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")}, checks=["test_softmax_large_logits"],
        says="is the one graded"),
    # the hidden test cell passes it (its logits are small): only the stability check goes
    bad("ce-log-sum-exp-global-max", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
c = tf.reduce_max(z)
log_p = z - c - tf.math.log(tf.reduce_sum(tf.exp(z - c), axis=1, keepdims=True))
return -tf.reduce_sum(onehot_target * log_p, axis=1)""")},
        checks=["test_cross_entropy_large_logits"], says="each row's own maximum"),
    bad("ce-log-of-softmax-plus-eps", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
return -tf.reduce_sum(onehot_target * tf.math.log(softmax(logits) + 1e-9), axis=1)""")},
        ["cross_entropy"], says="with an eps added"),
    bad("ce-log-of-clipped-softmax", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
p = tf.clip_by_value(softmax(logits), 1e-12, 1.0)
return -tf.reduce_sum(onehot_target * tf.math.log(p), axis=1)""")},
        ["cross_entropy"], says="clipped away from 0"),
    bad("ce-calls-tf-nn", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
return tf.nn.softmax_cross_entropy_with_logits(onehot_target, logits)""")},
        ["cross_entropy"], says="softmax_cross_entropy_with_logits"),
    bad("ce-mean-not-per-example", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
z = logits - tf.reduce_max(logits, axis=1, keepdims=True)
log_p = z - tf.math.log(tf.reduce_sum(tf.exp(z), axis=1, keepdims=True))
return tf.reduce_mean(-tf.reduce_sum(onehot_target * log_p, axis=1))""")},
        ["cross_entropy"], says="shape (40,)"),
    bad("ce-missing-minus", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
z = logits - tf.reduce_max(logits, axis=1, keepdims=True)
log_p = z - tf.math.log(tf.reduce_sum(tf.exp(z), axis=1, keepdims=True))
return tf.reduce_sum(onehot_target * log_p, axis=1)""")}, ["cross_entropy"],
        says="missing minus sign"),
    bad("loss-sum", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
return tf.reduce_sum(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), logits))""")},
        LOSS_USERS, says="summing the cross-entropies"),
    bad("loss-mean-over-entries", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
log_p = logits - tf.reduce_logsumexp(logits, axis=1, keepdims=True)
return -tf.reduce_mean(tf.one_hot(target, 10) * log_p)""")}, LOSS_USERS[:2],
        says="dividing by m*K"),
    # the fairness probe of 2026-12-04 (night): mistakes lost the right points, but these
    # messages named another cause (a NumPy loss, a bias-free loss leaving TensorFlow, a
    # log-sum-exp without its max, a depth "read off the labels" that was W's rows)
    bad("loss-leaves-the-bias-out", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W)
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), logits))""")},
        LOSS_USERS[:2], says="none for b"),
    bad("tape-source-left-numpy", {"tape-gradients": fn("tape_gradients(X, target, W, b)", """
W = tf.Variable(W, dtype=tf.float32)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
dW, db = tape.gradient(L, [W, b])
return dW, db""")}, ["tape_gradients"], says="or as a source"),
    bad("ce-leaves-out-the-log-sum-exp", {"cross-entropy": fn(
        "cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
return -tf.reduce_sum(tf.cast(onehot_target, z.dtype) * z, axis=1)""")}, ["cross_entropy"],
        says="leaving out the log-sum-exp term"),
    bad("mlp-loss-params-unpacked-weights-first", {"mlp-loss": fn(
        "mlp_loss(X, target, params)", """
W1, W2, W3, b1, b2, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
Z3 = tf.matmul(A2, W3) + b3
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), Z3))""")},
        ("mlp_loss", "train"), says="unpacked in"),
    bad("loss-depth-from-W-rows", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
onehot = tf.one_hot(target, depth=W.shape[0])
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(onehot, logits))""")},
        LOSS_USERS, says="not another size of the data"),
    bad("tape-without-watch", {"tape-gradients": fn("tape_gradients(X, target, W, b)", """
W = tf.constant(W, dtype=tf.float32)
b = tf.constant(b, dtype=tf.float32)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
dW, db = tape.gradient(L, [W, b])
return dW, db""")}, ["tape_gradients"], says="None"),
    bad("manual-missing-1-over-m", {"manual-gradients": fn("manual_gradients(X, target, W, b)", """
delta = softmax(linear_logits(X, W, b)) - one_hot(target, 10)
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="missing 1/m"),
    bad("manual-transposed-dW", {"manual-gradients": fn("manual_gradients(X, target, W, b)", """
delta = (softmax(linear_logits(X, W, b)) - one_hot(target, 10)) / X.shape[0]
return tf.matmul(delta, X, transpose_a=True), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="transposed dW"),
    bad("manual-db-zeros", {"manual-gradients": fn("manual_gradients(X, target, W, b)", """
delta = (softmax(linear_logits(X, W, b)) - one_hot(target, 10)) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.zeros_like(b)""")},
        ["manual_gradients"], says="bias gradient forgotten"),
    bad("manual-db-wrong-axis", {"manual-gradients": fn("manual_gradients(X, target, W, b)", """
delta = (softmax(linear_logits(X, W, b)) - one_hot(target, 10)) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=1)""")},
        ["manual_gradients"], says="wrong axis"),
    bad("manual-one-hot-depth-from-W-rows", {"manual-gradients": fn(
        "manual_gradients(X, target, W, b)", """
delta = (softmax(linear_logits(X, W, b)) - one_hot(target, W.shape[0])) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="a one-hot's depth"),
    bad("manual-wrong-sign", {"manual-gradients": fn("manual_gradients(X, target, W, b)", """
delta = (one_hot(target, 10) - softmax(linear_logits(X, W, b))) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="wrong sign"),
    bad("manual-uses-tape", {"manual-gradients": fn("manual_gradients(X, target, W, b)", """
W = tf.Variable(W)
b = tf.Variable(b)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
return tuple(tape.gradient(L, [W, b]))""")}, ["manual_gradients"], says="`tf.GradientTape`"),
    bad("gd-wrong-sign", {"gd-step": fn("gd_step(params, grads, alpha)",
                                        "return [p + alpha * g for p, g in zip(params, grads)]")},
        ["gd_step", "train"], says="wrong sign"),
    bad("gd-ignores-alpha", {"gd-step": fn("gd_step(params, grads, alpha)",
                                           "return [p - g for p, g in zip(params, grads)]")},
        ["gd_step", "train"], says="ignoring alpha"),
    bad("gd-in-place", {"gd-step": fn("gd_step(params, grads, alpha)", """
for p, g in zip(params, grads):
    p -= alpha * g
return params""")}, ["gd_step", "train"], says="changes the arrays"),
    bad("train-loss-after-step", {"train": fn("train(X, target, params, alpha, epochs)", """
params = [tf.convert_to_tensor(p, dtype=tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X, target, params)
    params = gd_step(params, tape.gradient(L, params), alpha)
    losses.append(float(mlp_loss(X, target, params)))
return losses""")}, ["train"], says="after each step"),
    bad("train-mutates-params", {"train": fn("train(X, target, params, alpha, epochs)", """
params = [np.asarray(p) for p in params]
losses = []
for _ in range(epochs):
    current = [tf.constant(p) for p in params]
    with tf.GradientTape() as tape:
        tape.watch(current)
        L = mlp_loss(X, target, current)
    grads = tape.gradient(L, current)
    losses.append(float(L))
    for p, g in zip(params, grads):
        p -= alpha * g.numpy()
return losses""")}, ["train"], says="changes the arrays passed in"),
    bad("train-fixed-alpha", {"train": fn("train(X, target, params, alpha, epochs)", """
params = [tf.convert_to_tensor(p, dtype=tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X, target, params)
    losses.append(float(L))
    params = gd_step(params, tape.gradient(L, params), 0.1)
return losses""")}, ["train"], says="test cell `test-train`"),
    bad("train-uses-the-notebook-data", {"train": fn("train(X, target, params, alpha, epochs)", """
params = [tf.convert_to_tensor(p, dtype=tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X_digits, target_digits, params)
    losses.append(float(L))
    params = gd_step(params, tape.gradient(L, params), alpha)
return losses""")}, ["train"],
        says="instead of the X and target passed in"),
    bad("train-one-loss-too-many", {"train": fn("train(X, target, params, alpha, epochs)", """
params = [tf.convert_to_tensor(p, dtype=tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X, target, params)
    losses.append(float(L))
    params = gd_step(params, tape.gradient(L, params), alpha)
losses.append(float(mlp_loss(X, target, params)))
return losses""")}, ["train"], says="one loss per epoch"),
    # the corpus probe: the hidden m = 1 case said only "AssertionError"
    bad("perceptron-squeeze", {"perceptron": fn("perceptron(X, w, b)", """
return tf.squeeze(tf.matmul(X, tf.expand_dims(w, 1))) + b""")}, ["perceptron"],
        says="tf.squeeze removes every axis"),
    bad("dot-sum-of-sums", {"dot": fn("dot(a, b)", "return tf.reduce_sum(a + b)")}, ["dot"],
        says="a + b"),
    bad("dot-no-sum", {"dot": fn("dot(a, b)", "return a * b")}, ["dot"], says="shape ()"),
    bad("scalar-numpy", {"make-scalar": fn("make_scalar(value, dtype)",
                                           "return np.array(value, dtype=dtype)")},
        ["make_scalar"], says="should return a tf.Tensor"),
    # the red team's probe of 2026-12-03: both passed with the hidden values exact in float32
    bad("scalar-cast-through-float32", {"make-scalar": fn("make_scalar(value, dtype)", """
return tf.cast(tf.constant(value), tf.as_dtype(dtype))""")}, checks=["test_make_scalar"],
        says="rounded to float32"),
    bad("dot-through-float32", {"dot": fn("dot(a, b)", """
return tf.reduce_sum(tf.cast(a, tf.float32) * tf.cast(b, tf.float32))""")},
        checks=["test_dot"], says="not exact"),
    bad("scalar-ignores-dtype", {"make-scalar": fn("make_scalar(value, dtype)",
                                                   "return tf.constant(value)")},
        ["make_scalar"], says="has dtype"),
    bad("diabetes-numpy", {"load-diabetes-tensor": fn("load_diabetes_tensor()", """
return sklearn_datasets.load_diabetes().data.astype(np.float32)""")},
        ["load_diabetes_tensor"], says="should return a tf.Tensor"),
    bad("diabetes-float64", {"load-diabetes-tensor": fn("load_diabetes_tensor()", """
return tf.constant(sklearn_datasets.load_diabetes().data)""")},
        ["load_diabetes_tensor"], says="float64"),
    bad("first-returns-tensor", {"first-examples": fn("first_examples(X_numpy, k)", """
return tf.stack(list(tf.data.Dataset.from_tensor_slices(X_numpy).take(k)))""")},
        ["first_examples"], says="should return a NumPy array"),
    bad("first-slices-directly", {"first-examples": fn("first_examples(X_numpy, k)",
                                                       "return X_numpy[:k]")},
        ["first_examples"], says="must use tf.data.Dataset.from_tensor_slices"),
    bad("perceptron-no-bias", {"perceptron": fn("perceptron(X, w, b)",
                                                "return tf.tensordot(X, w, axes=1)")},
        ["perceptron"], says="forgetting the bias"),
    bad("logits-no-bias", {"linear-logits": fn("linear_logits(X, W, b)",
                                               "return tf.matmul(X, W)")},
        ["linear_logits", "manual_gradients"], says="forgetting the bias"),
    # each device's type, in TensorFlow's order and with repeats: right on a machine with
    # one CPU (a fresh student's kept the point until the hidden test listed two GPUs)
    bad("devices-in-tensorflows-order", {"list-device-types": fn("list_device_types()", """
return [d.device_type for d in tf.config.list_physical_devices()]""")},
        ["list_device_types"], says="each type once, sorted"),
    bad("devices-sorted-with-repeats", {"list-device-types": fn("list_device_types()", """
return sorted(d.device_type for d in tf.config.list_physical_devices())""")},
        ["list_device_types"], says="each type once, sorted"),
    bad("mlp-loss-depth-from-the-labels", {"mlp-loss": fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
Z3 = tf.matmul(A2, W3) + b3
oh = tf.one_hot(target, depth=int(np.max(target)) + 1)
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(oh, Z3))""")}, ["mlp_loss"],
        says="a one-hot's depth"),
    # a mistakes round's (2026-12-04): NumPy logits inside a loss that returns a tensor; the
    # tape's None gradient was blamed on tape_gradients, which was right
    bad("loss-numpy-logits", {"loss": fn("loss(X, target, W, b)", """
logits = np.matmul(X, W) + b
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, depth=10),
                                                              logits))""")},
        ["tape_gradients"], says="leaves TensorFlow"),
    # a mistakes round's (2026-12-04): NumPy's in-place shift on the caller's own array,
    # graded as correct before (cross_entropy) or named only by the test cell (softmax)
    bad("ce-shift-in-place", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
z = np.asarray(logits)
z -= z.max(axis=1, keepdims=True)
log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
return -(np.asarray(onehot_target) * log_p).sum(axis=1)""")},
        checks=["test_cross_entropy"], says="changes the arrays passed in"),
    bad("softmax-in-place", {"softmax": fn("softmax(logits)", """
z = np.asarray(logits)
z -= z.max(axis=1, keepdims=True)
np.exp(z, out=z)
z /= z.sum(axis=1, keepdims=True)
return z""")}, ["softmax", "manual_gradients", "mlp_forward"], says="changes the arrays passed in"),
    # a fresh student's (2026-12-04): a helper named like the visible test cell's variable
    # is that variable once the cell has run (as in nbgrader); the message says so
    bad("helper-named-like-a-test-cells-variable", {"tape-gradients": fn(
        "_grads(X, target, W, b)", """
W = tf.Variable(W, dtype=tf.float32)
b = tf.Variable(b, dtype=tf.float32)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
return tuple(tape.gradient(L, [W, b]))""") + "\n\n" + fn("tape_gradients(X, target, W, b)", """
return _grads(X, target, W, b)""")}, ["tape_gradients"], says="a name the test cell"),
    # the grader's own machine's answer, written down (the tenth red team's took the point)
    bad("devices-written-down", {"list-device-types": fn("list_device_types()", """
return ['CPU']""")}, ["list_device_types"], says="without asking TensorFlow"),
    # the fourteenth red team's: the same list beside words of TensorFlow's API that nothing
    # uses (a variable, a bare string, a call whose answer is thrown away) kept the point
    bad("devices-written-down-in-a-variable-named-like-the-api", {
        "list-device-types": fn("list_device_types()", """
device_type = "CPU"
return [device_type]""")}, ["list_device_types"], says="without asking TensorFlow"),
    bad("devices-written-down-after-asking-and-not-listening", {
        "list-device-types": fn("list_device_types()", """
"device_type"
tf.config.list_physical_devices()
return ["CPU"]""")}, ["list_device_types"], says="without asking TensorFlow"),
    bad("first-builds-a-data-set-then-slices-the-array", {
        "first-examples": fn("first_examples(X_numpy, k)", """
tf.data.Dataset.from_tensor_slices(X_numpy)
return np.asarray(X_numpy)[:k]""")}, ["first_examples"], says="never calls"),
    bad("devices-tuple", {"list-device-types": fn("list_device_types()", """
return tuple(sorted({d.device_type for d in tf.config.list_physical_devices()}))""")},
        ["list_device_types"], says="list of strings"),
    # a fresh student's (2026-12-04): the message hid the names as "…"
    bad("devices-names-not-types", {"list-device-types": fn("list_device_types()", """
return sorted({d.name for d in tf.config.list_physical_devices()})""")},
        ["list_device_types"], says="Those are device names"),
    bad("first-examples-skips-one", {"first-examples": fn("first_examples(X_numpy, k)", """
return np.stack(list(tf.data.Dataset.from_tensor_slices(X_numpy).skip(1).take(k).as_numpy_iterator()))""")},
        ["first_examples"], says="one element skipped"),
    bad("seed-too-high", {"seed": "SEED = 1234\n"}, ["SEED"], says="not below 62"),
    bad("seed-string", {"seed": 'SEED = "18"\n'}, ["SEED"], says="should be an integer"),
    # the fairness probe of 2026-12-03 (evening): a softmax written out inside mlp_forward,
    # without the maximum, kept every point (only W1 was large in the stability check)
    bad("forward-inline-naive-softmax", {"mlp-forward": fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
E = tf.exp(tf.matmul(A2, W3) + b3)
return E / tf.reduce_sum(E, axis=1, keepdims=True)""")}, checks=["test_mlp_forward_raw_pixels"],
        says="output softmax overflows"),
    # the fourteenth red team's +1: a softmax that answers NaN to logits shaped like
    # mlp_forward's, when the grader asked it whether mlp_forward's overflow was its fault
    bad("forward-inline-naive-softmax-beside-a-softmax-that-plays-dead", {
        "mlp-forward": fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
E = tf.exp(tf.matmul(A2, W3) + b3)
return E / tf.reduce_sum(E, axis=1, keepdims=True)"""),
        "softmax": fn("softmax(logits)", """
z = tf.convert_to_tensor(logits)
if tuple(z.shape) == (64, 10) and float(tf.reduce_max(tf.abs(z))) > 50:
    return tf.fill(tf.shape(z), float("nan"))
z = z - tf.reduce_max(z, axis=1, keepdims=True)
e = tf.exp(z)
return e / tf.reduce_sum(e, axis=1, keepdims=True)""")},
        checks=["test_mlp_forward_raw_pixels"], says="output softmax overflows"),
    bad("forward-relu", {"mlp-forward": fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.nn.relu(tf.matmul(X, W1) + b1)
A2 = tf.nn.relu(tf.matmul(A1, W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")}, ["mlp_forward"], says="ReLU instead of tanh"),
    bad("forward-relu-second-layer", {"mlp-forward": fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.nn.relu(tf.matmul(A1, W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")}, ["mlp_forward"],
        says="ReLU instead of tanh on the second hidden layer only"),
    bad("scalar-one-element-vector", {"make-scalar": fn("make_scalar(value, dtype)", """
return tf.constant([value], dtype=dtype)""")}, ["make_scalar"], says="not a scalar"),
    bad("forward-returns-logits", {"mlp-forward": fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A2 = tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2)
return tf.matmul(A2, W3) + b3""")}, ["mlp_forward"], says="logits Z3 instead of softmax"),
    bad("forward-without-b1", {"mlp-forward": fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A2 = tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1)), W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")}, ["mlp_forward"], says="first layer's bias b1"),
    bad("forward-bias-after-tanh", {"mlp-forward": fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1)) + b1
A2 = tf.tanh(tf.matmul(A1, W2)) + b2
return softmax(tf.matmul(A2, W3) + b3)""")}, ["mlp_forward"], says="after tanh instead of inside"),
    bad("mlp-loss-log-plus-eps", {"mlp-loss": fn("mlp_loss(X, target, params)", """
probabilities = mlp_forward(X, params)
return -tf.reduce_mean(tf.reduce_sum(one_hot(target, 10) * tf.math.log(probabilities + 1e-9), axis=1))""")},
        ["mlp_loss", "train"], says="with an eps added"),  # the eps shows in the lesson's losses too
    bad("forward-tanh-with-exp", {"mlp-forward": fn("mlp_forward(X, params)", """
def tanh(z):
    return (tf.exp(z) - tf.exp(-z)) / (tf.exp(z) + tf.exp(-z))
W1, b1, W2, b2, W3, b3 = params
A2 = tanh(tf.matmul(tanh(tf.matmul(X, W1) + b1), W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")}, ["mlp_forward"], says="NaN"),
    # the corpus probe: "an eps added or clipped" was said of this (dividing by m * K)
    bad("mlp-loss-mean-over-every-entry", {"mlp-loss": fn("mlp_loss(X, target, params)", """
Z3 = mlp_logits_of(X, params)
log_p = Z3 - tf.reduce_logsumexp(Z3, axis=1, keepdims=True)
return -tf.reduce_mean(one_hot(target, 10) * log_p)""").replace(
        "Z3 = mlp_logits_of(X, params)", """W1, b1, W2, b2, W3, b3 = [tf.convert_to_tensor(p, tf.float32) for p in params]
    Z3 = tf.matmul(tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2), W3) + b3""")},
        ["mlp_loss", "train"], says="the loss itself is off"),
    bad("mlp-loss-log-of-probabilities", {"mlp-loss": fn("mlp_loss(X, target, params)", """
probabilities = mlp_forward(X, params)
return -tf.reduce_mean(tf.reduce_sum(one_hot(target, 10) * tf.math.log(probabilities), axis=1))""")},
        checks=["test_mlp_loss_large_logits"], says="log of the softmax"),
    bad("init-without-seed", {"init-mlp": fn("init_mlp(seed)", f"""
return [tf.Variable(tf.random.normal(shape)) for shape in {MLP_SHAPES}]""")},
        INIT_USERS, says="test cell `test-init-mlp`"),
    # the corpus probe: float64 draws are other numbers, and nothing said dtype
    bad("init-float64-draws", {"init-mlp": fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
return [tf.Variable(tf.random.normal(shape, dtype=tf.float64)) for shape in {MLP_SHAPES}]""")},
        INIT_USERS, says="draw float32"),
    bad("init-op-seed-too", {"init-mlp": fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
return [tf.Variable(tf.random.normal(shape, seed=seed)) for shape in {MLP_SHAPES}]""")},
        INIT_USERS, says="seed= to each tf.random.normal"),
    bad("init-biases-first", {"init-mlp": fn("init_mlp(seed)", """
tf.random.set_seed(seed)
b1, b2, b3 = tf.random.normal((100,)), tf.random.normal((50,)), tf.random.normal((10,))
W1, W2, W3 = tf.random.normal((64, 100)), tf.random.normal((100, 50)), tf.random.normal((50, 10))
return [W1, b1, W2, b2, W3, b3]""")}, INIT_USERS, says="another order"),
    bad("init-uniform", {"init-mlp": fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
return [tf.random.uniform(shape, -1, 1) for shape in {MLP_SHAPES}]""")},
        INIT_USERS, says="tf.random.uniform instead"),
]


# --- the message probe of 2026-12-03 (sixth): each of these lost its points with only "the
# answer differs" (or an error in TensorFlow's words, or the wrong cause) before it --------

FORWARD = """W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
Z3 = tf.matmul(A2, W3) + b3
"""
LESSON_CE = "return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), Z3))"


def mlp_loss_of(tail: str, forward: str = FORWARD) -> dict:
    return {"mlp-loss": fn("mlp_loss(X, target, params)", forward + tail)}


TRAIN_LOOP = """X = tf.convert_to_tensor(X, dtype=tf.float32)
params = [tf.convert_to_tensor(p, dtype=tf.float32) for p in params]
losses = []
for _ in range(EPOCHS):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = LOSS
    grads = tape.gradient(L, params)
    losses.append(float(L))
    params = STEP
return np.array(losses, dtype=np.float32)
"""


def train_of(loss="mlp_loss(X, target, params)", step="gd_step(params, grads, alpha)",
             epochs="epochs", start=None) -> dict:
    body = TRAIN_LOOP.replace("LOSS", loss).replace("STEP", step).replace("EPOCHS", epochs)
    if start:
        body = body.replace("params = [tf.convert_to_tensor(p, dtype=tf.float32) for p in "
                            "params]", start)
    return {"train": fn("train(X, target, params, alpha, epochs)", body)}


LOG_SOFTMAX = """z = logits - tf.reduce_max(logits, axis=1, keepdims=True)
log_p = z - tf.math.log(tf.reduce_sum(tf.exp(z), axis=1, keepdims=True))
"""
MANUAL = "manual_gradients(X, target, W, b)"
MLP_TRAIN = ("mlp_loss", "train")  # train's test cells record the student's mlp_loss

MESSAGES = [
    bad("mlp-loss-sum", mlp_loss_of(LESSON_CE.replace("reduce_mean", "reduce_sum")), MLP_TRAIN,
        says="summing the cross-entropies"),
    bad("mlp-loss-softmax-twice", {"mlp-loss": fn("mlp_loss(X, target, params)",
        "return tf.reduce_mean(cross_entropy(one_hot(target, 10), mlp_forward(X, params)))")},
        MLP_TRAIN, says="softmax applied twice"),
    bad("mlp-loss-keras-without-from-logits", mlp_loss_of(
        "return tf.keras.losses.CategoricalCrossentropy()(tf.one_hot(target, 10), Z3)"),
        MLP_TRAIN, says="without from_logits=True"),
    bad("mlp-loss-keras-sparse-without-from-logits", mlp_loss_of(
        "return tf.keras.losses.SparseCategoricalCrossentropy()(target, Z3)"), MLP_TRAIN,
        says="sparse cross-entropy without from_logits=True"),
    bad("mlp-loss-without-b2", mlp_loss_of(LESSON_CE, FORWARD.replace("A1, W2) + b2", "A1, W2)")),
        MLP_TRAIN, says="bias b2"),
    bad("mlp-loss-relu", mlp_loss_of(LESSON_CE, FORWARD.replace("tf.tanh", "tf.nn.relu")),
        MLP_TRAIN, says="ReLU instead of tanh"),
    bad("mlp-loss-sigmoid", mlp_loss_of(LESSON_CE, FORWARD.replace("tf.tanh", "tf.sigmoid")),
        MLP_TRAIN, says="sigmoid instead of tanh"),
    bad("mlp-loss-squared-error", mlp_loss_of(
        "return tf.reduce_mean(tf.square(tf.one_hot(target, 10) - softmax(Z3)))"), MLP_TRAIN,
        says="mean squared error"),
    bad("mlp-loss-tanh-on-the-logits", mlp_loss_of(LESSON_CE.replace(", Z3)", ", tf.tanh(Z3))")),
        MLP_TRAIN, says="tanh on the output logits"),
    bad("mlp-loss-axis-0", mlp_loss_of(LESSON_CE.replace(", Z3)", ", Z3, axis=0)")), MLP_TRAIN,
        says="over the examples (axis=0)"),
    bad("ce-mean-over-classes", {"cross-entropy": fn("cross_entropy(onehot_target, logits)",
        LOG_SOFTMAX + "return -tf.reduce_mean(onehot_target * log_p, axis=1)")},
        ["cross_entropy"], says="mean over the classes"),
    bad("ce-sum-over-everything", {"cross-entropy": fn("cross_entropy(onehot_target, logits)",
        LOG_SOFTMAX + "return -tf.reduce_sum(onehot_target * log_p)")}, ["cross_entropy"],
        says="a single number"),
    bad("ce-log-sum-exp-without-the-max-back", {"cross-entropy": fn(
        "cross_entropy(onehot_target, logits)", """
m = tf.reduce_max(logits, axis=1, keepdims=True)
lse = tf.math.log(tf.reduce_sum(tf.exp(logits - m), axis=1, keepdims=True))
return -tf.reduce_sum(onehot_target * (logits - lse), axis=1)""")}, ["cross_entropy"],
        says="row maximum added back"),
    bad("softmax-global-max", {"softmax": fn("softmax(logits)", """
e = tf.exp(logits - tf.reduce_max(logits))
return e / tf.reduce_sum(e, axis=1, keepdims=True)""")}, ["manual_gradients"],
        checks=["test_softmax_large_logits"], says="each row's own maximum"),
    bad("softmax-sum-without-keepdims", {"softmax": fn("softmax(logits)", """
e = tf.exp(logits - tf.reduce_max(logits, axis=1, keepdims=True))
return e / tf.reduce_sum(e, axis=1)""")}, SOFTMAX_USERS, says="keepdims=True"),
    bad("softmax-min-shift", {"softmax": fn("softmax(logits)", """
e = tf.exp(logits - tf.reduce_min(logits, axis=1, keepdims=True))
return e / tf.reduce_sum(e, axis=1, keepdims=True)""")}, ["softmax", "manual_gradients"],
        says="subtract the row maximum"),
    bad("one-hot-depth-from-the-labels", {"one-hot": fn("one_hot(target, depth)",
        "return tf.one_hot(target, int(np.max(target)) + 1)")}, ["one_hot", "manual_gradients"],
        says="wrong depth"),
    bad("one-hot-always-10", {"one-hot": fn("one_hot(target, depth)",
        "return tf.one_hot(target, 10)")}, ["one_hot"], says="wrong depth"),
    bad("loss-depth-from-the-labels", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
return tf.reduce_mean(cross_entropy(one_hot(target, int(np.max(target)) + 1), logits))""")},
        ["loss"], says="a one-hot's depth"),
    bad("loss-softmax-twice", {"loss": fn("loss(X, target, W, b)",
        "return tf.reduce_mean(cross_entropy(one_hot(target, 10), softmax(tf.matmul(X, W) + b)))")},
        ["loss", "tape_gradients"], says="softmax applied twice"),
    bad("tape-asked-twice", {"tape-gradients": fn("tape_gradients(X, target, W, b)", """
W, b = tf.Variable(W), tf.Variable(b)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
return tape.gradient(L, W), tape.gradient(L, b)""")}, ["tape_gradients"],
        says="persistent=True"),
    bad("tape-loss-outside", {"tape-gradients": fn("tape_gradients(X, target, W, b)", """
W, b = tf.Variable(W), tf.Variable(b)
L = loss(X, target, W, b)
with tf.GradientTape() as tape:
    pass
return tuple(tape.gradient(L, [W, b]))""")}, ["tape_gradients"], says="is None"),
    bad("manual-integer-division", {"manual-gradients": fn(MANUAL, """
delta = (softmax(tf.matmul(X, W) + b) - one_hot(target, 10)) * (1 // X.shape[0])
return tf.matmul(tf.transpose(X), delta), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="1 // m"),
    bad("manual-without-transpose", {"manual-gradients": fn(MANUAL, """
delta = (softmax(tf.matmul(X, W) + b) - one_hot(target, 10)) / X.shape[0]
return tf.matmul(X, delta), tf.reduce_sum(delta, axis=0)""")}, ["manual_gradients"],
        says="missing transpose"),
    bad("manual-divides-by-classes", {"manual-gradients": fn(MANUAL, """
delta = (softmax(tf.matmul(X, W) + b) - one_hot(target, 10)) / 10
return tf.matmul(tf.transpose(X), delta), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="times one factor"),
    bad("manual-db-without-1-over-m", {"manual-gradients": fn(MANUAL, """
delta = softmax(tf.matmul(X, W) + b) - one_hot(target, 10)
return tf.matmul(tf.transpose(X), delta) / X.shape[0], tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="a missing 1/m"),
    bad("init-numpy-random", {"init-mlp": fn("init_mlp(seed)", f"""
np.random.seed(seed)
return [np.random.randn(*s).astype(np.float32) for s in {MLP_SHAPES}]""")}, INIT_USERS,
        says="NumPy's np.random.seed"),
    bad("init-stddev", {"init-mlp": fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
return [tf.random.normal(s, stddev=0.1) for s in {MLP_SHAPES}]""")}, INIT_USERS,
        says="times one factor, about 0.1"),
    bad("init-truncated", {"init-mlp": fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
return [tf.random.truncated_normal(s) for s in {MLP_SHAPES}]""")}, INIT_USERS,
        says="truncated_normal"),
    bad("forward-sigmoid-output", {"mlp-forward": fn("mlp_forward(X, params)",
        FORWARD + "return tf.sigmoid(Z3)")}, ["mlp_forward"], says="sigmoid on the output"),
    bad("forward-softmax-axis-0", {"mlp-forward": fn("mlp_forward(X, params)", FORWARD
        + "E = tf.exp(Z3 - tf.reduce_max(Z3, axis=0))\nreturn E / tf.reduce_sum(E, axis=0)")},
        ["mlp_forward"], says="axis=0"),
    bad("gd-returns-none", {"gd-step": fn("gd_step(params, grads, alpha)", """
for i in range(len(params)):
    params[i] = params[i] - alpha * grads[i]""")}, ["gd_step", "train"], says="returned None"),
    bad("gd-alpha-squared", {"gd-step": fn("gd_step(params, grads, alpha)",
        "return [p - alpha * alpha * g for p, g in zip(params, grads)]")}, ["gd_step", "train"],
        says="alpha applied twice"),
    bad("train-softmax-twice", train_of(
        loss="tf.reduce_mean(cross_entropy(one_hot(target, 10), mlp_forward(X, params)))"),
        ["train"], says="softmax applied twice"),
    bad("train-epochs-plus-one", train_of(epochs="epochs + 1"), ["train"],
        says="9 losses for 8 epochs"),
    bad("train-from-init-mlp", train_of(
        start="params = [tf.convert_to_tensor(p) for p in init_mlp(12345)]"), ["train"],
        says="of the parameters passed in"),
    bad("train-half-alpha", train_of(step="gd_step(params, grads, alpha / 2)"), ["train"],
        says="the steps are off"),
    bad("dot-matmul-of-vectors", {"dot": fn("dot(a, b)", "return tf.matmul(a, b)")}, ["dot"],
        says="vector (1-D) operand"),
    bad("perceptron-matmul-of-a-vector", {"perceptron": fn("perceptron(X, w, b)",
        "return tf.matmul(X, w) + b")}, ["perceptron"], says="vector (1-D) operand"),
    bad("perceptron-column", {"perceptron": fn("perceptron(X, w, b)",
        "return tf.matmul(X, tf.reshape(w, (-1, 1))) + b")}, ["perceptron"],
        says="That is a column"),
    bad("diabetes-target", {"load-diabetes-tensor": fn("load_diabetes_tensor()",
        "return tf.constant(sklearn_datasets.load_diabetes().target, dtype=tf.float32)")},
        ["load_diabetes_tensor"], says="the dataset's target"),
]
MISTAKES += MESSAGES


# the fairness probe of 2026-12-03 (sixth): 43 more correct-but-different answers, all full
# marks (a tf.function training step, Keras' SGD, Keras' losses with from_logits=True,
# tf.nn.softmax inside manual_gradients, a cell that plots, NumPy inside TensorFlow's work)
CORRECT += [
    ok("probe-devices-map", list_device_types=fn("list_device_types()", """
return sorted(set(map(lambda d: d.device_type, tf.config.list_physical_devices())))""")),
    ok("devices-logical", list_device_types=fn("list_device_types()", """
return sorted({d.device_type for d in tf.config.list_logical_devices()})""")),
    ok("probe-devices-experimental", list_device_types=fn("list_device_types()", """
return sorted({d.device_type for d in tf.config.experimental.list_physical_devices()})""")),
    ok("probe-scalar-getattr", make_scalar=fn("make_scalar(value, dtype)", """
return tf.constant(value, dtype=getattr(tf, dtype))""")),
    ok("probe-scalar-convert", make_scalar=fn("make_scalar(value, dtype)", """
return tf.convert_to_tensor(value, dtype=dtype)""")),
    ok("probe-scalar-numpy-first", make_scalar=fn("make_scalar(value, dtype)", """
return tf.constant(np.array(value, dtype=dtype))""")),
    ok("probe-dot-einsum", dot=fn("dot(a, b)", """
return tf.einsum('i,i->', a, b)""")),
    ok("probe-dot-multiply", dot=fn("dot(a, b)", """
return tf.reduce_sum(tf.multiply(a, b))""")),
    ok("probe-dot-matmul-reshaped", dot=fn("dot(a, b)", """
return tf.reshape(tf.matmul(tf.reshape(a, (1, -1)), tf.reshape(b, (-1, 1))), ())""")),
    ok("probe-matmul-np", matmul=fn("matmul(A, B)", """
return np.matmul(A, B)""")),
    ok("probe-diabetes-xy", load_diabetes_tensor=fn("load_diabetes_tensor()", """
X, y = sklearn_datasets.load_diabetes(return_X_y=True)
return tf.cast(X, tf.float32)""")),
    ok("probe-first-take-numpy", first_examples=fn("first_examples(X_numpy, k)", """
return np.array([x.numpy() for x in tf.data.Dataset.from_tensor_slices(X_numpy).take(k)])""")),
    ok("probe-first-batch-iter", first_examples=fn("first_examples(X_numpy, k)", """
return next(tf.data.Dataset.from_tensor_slices(X_numpy).batch(k).as_numpy_iterator())""")),
    ok("probe-first-islice", first_examples='import itertools\n'
       + fn("first_examples(X_numpy, k)", """
return np.stack(list(itertools.islice(tf.data.Dataset.from_tensor_slices(X_numpy).as_numpy_iterator(), k)))""")),
    ok("probe-perceptron-rowsum", perceptron=fn("perceptron(X, w, b)", """
return tf.reduce_sum(X * w, axis=1) + b""")),
    ok("probe-perceptron-column", perceptron=fn("perceptron(X, w, b)", """
return tf.squeeze(X @ tf.reshape(w, (-1, 1)), axis=1) + b""")),
    ok("probe-logits-einsum", linear_logits=fn("linear_logits(X, W, b)", """
return tf.einsum('ij,jk->ik', X, W) + b""")),
    ok("probe-logits-add", linear_logits=fn("linear_logits(X, W, b)", """
return tf.add(tf.matmul(X, W), b)""")),
    ok("probe-softmax-last-axis", softmax=fn("softmax(logits)", """
z = logits - tf.reduce_max(logits, axis=-1, keepdims=True)
e = tf.exp(z)
return e / tf.reduce_sum(e, axis=-1, keepdims=True)""")),
    ok("probe-softmax-none-index", softmax=fn("softmax(logits)", """
z = np.asarray(logits)
z = z - z.max(axis=1)[:, None]
e = np.exp(z)
return e / e.sum(axis=1)[:, None]""")),
    ok("probe-softmax-transpose", softmax=fn("softmax(logits)", """
z = tf.transpose(logits)
e = tf.exp(z - tf.reduce_max(z, axis=0))
return tf.transpose(e / tf.reduce_sum(e, axis=0))""")),
    ok("probe-softmax-float64-inside", softmax=fn("softmax(logits)", """
z = tf.cast(logits, tf.float64)
z = z - tf.reduce_max(z, axis=1, keepdims=True)
e = tf.exp(z)
return tf.cast(e / tf.reduce_sum(e, axis=1, keepdims=True), logits.dtype if hasattr(logits, 'dtype') else tf.float32)""")),
    ok("probe-one-hot-cast", one_hot=fn("one_hot(target, depth)", """
return tf.cast(tf.one_hot(tf.cast(target, tf.int32), depth), tf.float32)""")),
    ok("probe-one-hot-arange", one_hot=fn("one_hot(target, depth)", """
return (np.arange(depth) == np.asarray(target)[:, None]).astype(np.float32)""")),
    ok("probe-one-hot-keras", one_hot=fn("one_hot(target, depth)", """
return tf.keras.utils.to_categorical(target, depth).astype('float32')""")),
    ok("probe-ce-log-softmax", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
return -tf.reduce_sum(onehot_target * tf.nn.log_softmax(logits), axis=1)""")),
    ok("probe-ce-einsum", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
m = tf.reduce_max(logits, axis=1, keepdims=True)
log_p = logits - m - tf.math.log(tf.reduce_sum(tf.exp(logits - m), axis=1, keepdims=True))
return -tf.einsum('ij,ij->i', tf.cast(onehot_target, log_p.dtype), log_p)""")),
    ok("probe-ce-gather", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
lse = tf.reduce_logsumexp(logits, axis=1)
return lse - tf.reduce_sum(onehot_target * logits, axis=1)""")),
    ok("probe-loss-keras-from-logits", loss=fn("loss(X, target, W, b)", """
return tf.keras.losses.CategoricalCrossentropy(from_logits=True)(tf.one_hot(target, 10), tf.matmul(X, W) + b)""")),
    ok("probe-loss-own-chain", loss=fn("loss(X, target, W, b)", """
return tf.reduce_mean(cross_entropy(one_hot(target, 10), linear_logits(X, W, b)))""")),
    ok("probe-tape-tuple", tape_gradients=fn("tape_gradients(X, target, W, b)", """
W = tf.Variable(W)
b = tf.Variable(b)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
return tape.gradient(L, (W, b))""")),
    ok("probe-tape-no-auto-watch", tape_gradients=fn("tape_gradients(X, target, W, b)", """
W = tf.constant(W)
b = tf.constant(b)
with tf.GradientTape(watch_accessed_variables=False) as tape:
    tape.watch(W)
    tape.watch(b)
    L = loss(X, target, W, b)
dW, db = tape.gradient(L, [W, b])
return dW, db""")),
    ok("probe-manual-tensordot", manual_gradients=fn("manual_gradients(X, target, W, b)", """
X = tf.cast(X, tf.float32)
m = X.shape[0]
delta = (softmax(X @ W + b) - tf.one_hot(target, 10)) / m
return tf.tensordot(X, delta, axes=[[0], [0]]), tf.reduce_sum(delta, axis=0)""")),
    ok("probe-manual-tf-nn-softmax", manual_gradients=fn("manual_gradients(X, target, W, b)", """
P = tf.nn.softmax(tf.matmul(X, W) + b)
Y = tf.one_hot(target, 10)
m = tf.cast(tf.shape(X)[0], tf.float32)
return tf.matmul(X, P - Y, transpose_a=True) / m, tf.reduce_mean(P - Y, axis=0)""")),
    ok("probe-manual-einsum-numpy", manual_gradients=fn("manual_gradients(X, target, W, b)", """
X = np.asarray(X, np.float64)
Z = X @ np.asarray(W, np.float64) + np.asarray(b, np.float64)
P = np.exp(Z - Z.max(1, keepdims=True)); P /= P.sum(1, keepdims=True)
D = (P - np.eye(10)[target]) / len(X)
return np.einsum('ij,ik->jk', X, D), D.sum(0)""")),
    ok("probe-init-shapes-dict", init_mlp=fn("init_mlp(seed)", """
tf.random.set_seed(seed)
shapes = {'W1': (64, 100), 'b1': (100,), 'W2': (100, 50), 'b2': (50,), 'W3': (50, 10), 'b3': (10,)}
return [tf.Variable(tf.random.normal(s, mean=0.0, stddev=1.0, dtype=tf.float32), name=n) for n, s in shapes.items()]""")),
    ok("probe-forward-nn-softmax", mlp_forward=fn("mlp_forward(X, params)", FORWARD + """
return tf.nn.softmax(Z3)""")),
    ok("probe-forward-keras-tanh", mlp_forward=fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.keras.activations.tanh(tf.nn.bias_add(tf.matmul(X, W1), b1))
A2 = tf.math.tanh(tf.matmul(A1, W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")),
    ok("probe-mlp-loss-keras-from-logits", mlp_loss=fn("mlp_loss(X, target, params)", FORWARD + """
return tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)(target, Z3)""")),
    ok("probe-gd-map", gd_step=fn("gd_step(params, grads, alpha)", """
return list(map(lambda pg: pg[0] - alpha * pg[1], zip(params, grads)))""")),
    ok("probe-train-sgd-optimizer", train=fn("train(X, target, params, alpha, epochs)", """
variables = [tf.Variable(tf.convert_to_tensor(p, tf.float32)) for p in params]
opt = tf.keras.optimizers.SGD(learning_rate=alpha)
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        L = mlp_loss(X, target, variables)
    grads = tape.gradient(L, variables)
    losses.append(L.numpy())
    opt.apply_gradients(zip(grads, variables))
return np.array(losses)""")),
    ok("probe-train-tf-function", train=fn("train(X, target, params, alpha, epochs)", """
X = tf.convert_to_tensor(X, tf.float32)
variables = [tf.Variable(tf.convert_to_tensor(p, tf.float32)) for p in params]
@tf.function
def step():
    with tf.GradientTape() as tape:
        L = mlp_loss(X, target, variables)
    grads = tape.gradient(L, variables)
    for v, g in zip(variables, grads):
        v.assign_sub(alpha * g)
    return L
return np.array([float(step()) for _ in range(epochs)])""")),
    ok("probe-train-assign-loop", train=fn("train(X, target, params, alpha, epochs)", """
variables = [tf.Variable(p, dtype=tf.float32) for p in params]
history = []
for epoch in range(epochs):
    with tf.GradientTape() as tape:
        loss_value = mlp_loss(X, target, variables)
    history.append(loss_value.numpy().item())
    for v, g in zip(variables, tape.gradient(loss_value, variables)):
        v.assign(v - alpha * g)
return history""")),
    ok("probe-seed-with-plot", seed="""import matplotlib
matplotlib.use('Agg')
import matplotlib.pyplot as plt
plt.plot([1, 2, 3])
plt.close()
SEED = 18
"""),
]

# the same probe, written as students write it: tf.function on the graded functions, a
# lambda, a callable object, a helper, a cell magic, a shell line, pages of printing
STABLE_SOFTMAX = """z = logits - tf.reduce_max(logits, axis=1, keepdims=True)
e = tf.exp(z)
return e / tf.reduce_sum(e, axis=1, keepdims=True)"""
CORRECT += [
 ok("probe-softmax-tf-function", softmax="@tf.function\n" + fn("softmax(logits)", STABLE_SOFTMAX)),
 ok("probe-softmax-tf-function-jit", softmax="@tf.function(jit_compile=False, reduce_retracing=True)\n" + fn("softmax(logits)", STABLE_SOFTMAX)),
 ok("probe-ce-tf-function", cross_entropy="@tf.function\n" + fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
t = tf.cast(onehot_target, z.dtype)
m = tf.reduce_max(z, axis=1, keepdims=True)
return -tf.reduce_sum(t * (z - m - tf.math.log(tf.reduce_sum(tf.exp(z - m), axis=1, keepdims=True))), axis=1)""")),
 ok("probe-manual-tf-function", manual_gradients="@tf.function\n" + fn("manual_gradients(X, target, W, b)", """
X = tf.cast(X, tf.float32)
m = tf.cast(tf.shape(X)[0], tf.float32)
delta = (softmax(tf.matmul(X, W) + b) - tf.one_hot(target, 10)) / m
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=0)""")),
 ok("probe-forward-tf-function", mlp_forward="@tf.function\n" + fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(tf.matmul(X, W1) + b1)
A2 = tf.tanh(tf.matmul(A1, W2) + b2)
return softmax(tf.matmul(A2, W3) + b3)""")),
 ok("probe-mlp-loss-tf-function", mlp_loss="@tf.function\n" + fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
Z3 = tf.matmul(tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2), W3) + b3
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), Z3))""")),
 ok("probe-tape-tf-function", tape_gradients="@tf.function\n" + fn("tape_gradients(X, target, W, b)", """
W = tf.convert_to_tensor(W); b = tf.convert_to_tensor(b)
with tf.GradientTape() as tape:
    tape.watch([W, b])
    L = loss(X, target, W, b)
return tuple(tape.gradient(L, [W, b]))""")),
 ok("probe-softmax-lambda", softmax="softmax = lambda logits: tf.exp(logits - tf.reduce_max(logits, axis=1, keepdims=True)) / tf.reduce_sum(tf.exp(logits - tf.reduce_max(logits, axis=1, keepdims=True)), axis=1, keepdims=True)\n"),
 ok("probe-softmax-annotated", softmax="def softmax(logits: tf.Tensor) -> tf.Tensor:\n    " + STABLE_SOFTMAX.replace("\n", "\n    ") + "\n"),
 ok("probe-softmax-time-magic", softmax="%%time\n" + fn("softmax(logits)", STABLE_SOFTMAX)),
 ok("probe-softmax-helper", softmax="def _stable_exp(z):\n    return tf.exp(z - tf.reduce_max(z, axis=1, keepdims=True))\n\n" + fn("softmax(logits)", "e = _stable_exp(logits)\nreturn e / tf.reduce_sum(e, axis=1, keepdims=True)")),
 ok("probe-softmax-tnp", softmax="import tensorflow.experimental.numpy as tnp\n" + fn("softmax(logits)", "z = tnp.asarray(logits)\nz = z - tnp.max(z, axis=1, keepdims=True)\ne = tnp.exp(z)\nreturn e / tnp.sum(e, axis=1, keepdims=True)")),
 ok("probe-softmax-from-numpy-import", softmax="from numpy import exp, amax\n" + fn("softmax(logits)", "z = np.asarray(logits) - amax(logits, axis=1, keepdims=True)\ne = exp(z)\nreturn e / e.sum(axis=1, keepdims=True)")),
 ok("probe-softmax-class-callable", softmax="class Softmax:\n    def __call__(self, logits):\n        " + STABLE_SOFTMAX.replace("\n", "\n        ") + "\n\nsoftmax = Softmax()\n"),
 ok("probe-softmax-prints", softmax=fn("softmax(logits)", STABLE_SOFTMAX) + "\nprint(softmax(np.array([[1.0, 2.0]], np.float32)))\nfor _i in range(2000):\n    print('x' * 100)\n"),
 ok("probe-softmax-pip-line", softmax="!pip --version\n" + fn("softmax(logits)", STABLE_SOFTMAX)),
 ok("probe-dot-tf-function", dot="@tf.function\n" + fn("dot(a, b)", "return tf.tensordot(a, b, axes=1)")),
 ok("probe-train-tf-function-step", train=fn("train(X, target, params, alpha, epochs)", """
X = tf.convert_to_tensor(X, tf.float32)
params = [tf.convert_to_tensor(p, tf.float32) for p in params]
@tf.function
def step(ps):
    with tf.GradientTape() as tape:
        tape.watch(ps)
        L = mlp_loss(X, target, ps)
    gs = tape.gradient(L, ps)
    return L, [p - alpha * g for p, g in zip(ps, gs)]
losses = []
for _ in range(epochs):
    L, params = step(params)
    losses.append(float(L))
return np.array(losses, np.float32)""")),
]

# first_examples must go through tf.data, which the grader reads in the source (2026-12-03,
# seventh session): a forged test-cell report had kept the point of a plain slice. Every
# spelling of the constructor must still count.
CORRECT += [
    ok("first-imported-dataset", first_examples="from tensorflow.data import Dataset\n\n"
       + fn("first_examples(X_numpy, k)", """
return np.stack(list(Dataset.from_tensor_slices(X_numpy).take(k).as_numpy_iterator()))""")),
    ok("first-local-alias", first_examples=fn("first_examples(X_numpy, k)", """
D = tf.data.Dataset
rows = []
for row in D.from_tensor_slices(X_numpy).take(k):
    rows.append(row.numpy())
return np.array(rows)""")),
    ok("first-lambda", first_examples="first_examples = lambda X_numpy, k: np.stack(list("
       "tf.data.Dataset.from_tensor_slices(X_numpy).take(k).as_numpy_iterator()))\n"),
    ok("first-helper", first_examples="def make_dataset(X):\n"
       "    return tf.data.Dataset.from_tensor_slices(X)\n\n\n"
       + fn("first_examples(X_numpy, k)", """
it = make_dataset(X_numpy).as_numpy_iterator()
return np.vstack([next(it)[None, :] for _ in range(k)])""")),
    ok("first-callable-object", first_examples="class FirstK:\n"
       "    def __call__(self, X_numpy, k):\n"
       "        ds = tf.data.Dataset.from_tensor_slices(X_numpy)\n"
       "        return np.stack([e for e in ds.take(k).as_numpy_iterator()])\n\n\n"
       "first_examples = FirstK()\n"),
    ok("first-enumerate-break", first_examples=fn("first_examples(X_numpy, k)", """
out = np.empty((k, X_numpy.shape[1]), dtype=X_numpy.dtype)
for i, row in enumerate(tf.data.Dataset.from_tensor_slices(X_numpy)):
    if i == k:
        break
    out[i] = row.numpy()
return out""")),
    ok("first-tf-stack", first_examples=fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensor_slices(X_numpy)
return tf.stack(list(ds.take(k))).numpy()""")),
]
MISTAKES += [
    bad("first-slice-after-a-demo-dataset", {"first-examples":
        "demo = tf.data.Dataset.from_tensor_slices(np.zeros((3, 2)))\n\n"
        + fn("first_examples(X_numpy, k)", "return np.array(X_numpy[:k])")},
        ["first_examples"], says="never calls `tf.data.Dataset.from_tensor_slices`"),
    bad("first-from-tensors", {"first-examples": fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensors(X_numpy[:k])
return next(ds.as_numpy_iterator())""")},
        ["first_examples"], says="never calls `tf.data.Dataset.from_tensor_slices`"),
    bad("first-tensor-slice", {"first-examples": fn("first_examples(X_numpy, k)", """
return tf.convert_to_tensor(X_numpy)[:k].numpy()""")},
        ["first_examples"], says="never calls `tf.data.Dataset.from_tensor_slices`"),
]

# The exercises with the fewest correct variants (2026-12-03, seventh session): gd_step,
# init_mlp, load_diabetes_tensor, SEED, linear_logits and mlp_loss, written as students do.
CORRECT += [
    ok("gd-variables", gd_step=fn("gd_step(params, grads, alpha)", """
return [tf.Variable(p - alpha * g) for p, g in zip(params, grads)]""")),
    ok("gd-assign-sub-on-copies", gd_step=fn("gd_step(params, grads, alpha)", """
new_params = [tf.Variable(p) for p in params]
for v, g in zip(new_params, grads):
    v.assign_sub(alpha * g)
return new_params""")),
    ok("gd-index-loop", gd_step=fn("gd_step(params, grads, alpha)", """
updated = []
for i in range(len(params)):
    updated.append(tf.convert_to_tensor(params[i]) - alpha * tf.convert_to_tensor(grads[i]))
return updated""")),
    ok("init-keras-set-random-seed", init_mlp=fn("init_mlp(seed)", """
tf.keras.utils.set_random_seed(seed)
return [tf.random.normal(s) for s in [(64, 100), (100,), (100, 50), (50,), (50, 10), (10,)]]""")),
    ok("init-six-lines", init_mlp=fn("init_mlp(seed)", """
tf.random.set_seed(seed)
W1 = tf.random.normal([64, 100])
b1 = tf.random.normal([100])
W2 = tf.random.normal([100, 50])
b2 = tf.random.normal([50])
W3 = tf.random.normal([50, 10])
b3 = tf.random.normal([10])
return [W1, b1, W2, b2, W3, b3]""")),
    ok("init-positional-arguments", init_mlp=fn("init_mlp(seed)", """
tf.random.set_seed(seed)
sizes = [64, 100, 50, 10]
params = []
for n_in, n_out in zip(sizes[:-1], sizes[1:]):
    params.append(tf.random.normal((n_in, n_out), 0.0, 1.0, tf.float32))
    params.append(tf.random.normal((n_out,), 0.0, 1.0, tf.float32))
return params""")),
    ok("mlp-loss-logsumexp-gather", mlp_loss=fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
A1 = tf.tanh(X @ W1 + b1)
A2 = tf.tanh(A1 @ W2 + b2)
Z3 = A2 @ W3 + b3
picked = tf.gather(Z3, target, batch_dims=1)
return tf.reduce_mean(tf.reduce_logsumexp(Z3, axis=1) - picked)""")),
    # in float64, but in TensorFlow: the notebook's train takes the loss's gradient (a
    # NumPy mlp_loss is right by itself and breaks train's tape, as it would the student's)
    ok("mlp-loss-float64", mlp_loss=fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = [tf.cast(p, tf.float64) for p in params]
A1 = tf.tanh(tf.cast(X, tf.float64) @ W1 + b1)
A2 = tf.tanh(A1 @ W2 + b2)
Z3 = A2 @ W3 + b3
return tf.reduce_mean(tf.reduce_logsumexp(Z3, axis=1) - tf.gather(Z3, target, batch_dims=1))""")),
    ok("mlp-loss-log-softmax-onehot", mlp_loss=fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
Z3 = tf.matmul(tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2), W3) + b3
return -tf.reduce_mean(tf.reduce_sum(tf.one_hot(target, 10) * tf.nn.log_softmax(Z3), axis=1))""")),
    ok("seed-searched-in-its-cell", seed="""SEED = None
for s in range(100):
    tf.random.set_seed(s)
    W_s = tf.random.normal((64, 10))
    b_s = tf.random.normal((10,))
    if float(loss(X_digits, target_digits, W_s, b_s)) < 62:
        SEED = s
        break
print(SEED)
"""),
    ok("seed-int-of-the-search", seed="SEED = int(good_seeds[-1][0])\n"),
    ok("logits-tensordot", linear_logits=fn("linear_logits(X, W, b)",
                                           "return tf.tensordot(X, W, axes=1) + b")),
    ok("logits-row-bias", linear_logits=fn("linear_logits(X, W, b)",
                                          "return tf.matmul(X, W) + tf.reshape(b, (1, -1))")),
    ok("diabetes-variable", load_diabetes_tensor=fn("load_diabetes_tensor()", """
return tf.Variable(sklearn_datasets.load_diabetes().data, dtype=tf.float32)""")),
    ok("diabetes-convert-astype", load_diabetes_tensor=fn("load_diabetes_tensor()", """
data = sklearn_datasets.load_diabetes()["data"]
return tf.convert_to_tensor(data.astype("float32"))""")),
]
MISTAKES += [
    bad("seed-float", {"seed": "SEED = 18.0\n"}, ["SEED"], says="not a float"),
    bad("gd-assign-sub-on-the-inputs", {"gd-step": fn("gd_step(params, grads, alpha)", """
for p, g in zip(params, grads):
    p.assign_sub(alpha * g)
return params""")}, ["gd_step", "train"], says="has no attribute 'assign_sub'"),
    bad("logits-bias-column", {"linear-logits": fn("linear_logits(X, W, b)",
        "return tf.matmul(X, W) + tf.reshape(b, (-1, 1))")},
        ["linear_logits", "manual_gradients"], says="a vector reshaped into a column"),
    bad("logits-transposed-W", {"linear-logits": fn("linear_logits(X, W, b)",
        "return tf.matmul(X, tf.transpose(W)) + b")},
        ["linear_logits", "manual_gradients"], says="a missing transpose"),
    bad("diabetes-standardized", {"load-diabetes-tensor": fn("load_diabetes_tensor()", """
X = sklearn_datasets.load_diabetes().data
X = (X - X.mean(axis=0)) / X.std(axis=0)
return tf.constant(X, dtype=tf.float32)""")}, ["load_diabetes_tensor"], says="standardizing"),
    bad("diabetes-unscaled", {"load-diabetes-tensor": fn("load_diabetes_tensor()", """
return tf.constant(sklearn_datasets.load_diabetes(scaled=False).data, dtype=tf.float32)""")},
        ["load_diabetes_tensor"], says="unscaled"),
    bad("first-batch-take-one", {"first-examples": fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensor_slices(X_numpy)
return np.stack(list(ds.batch(k).take(1).as_numpy_iterator()))""")},
        ["first_examples"], says="shape (1, 5, 6)"),
    bad("first-shuffled", {"first-examples": fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensor_slices(X_numpy).shuffle(1000, seed=0)
return np.stack(list(ds.take(k).as_numpy_iterator()))""")}, ["first_examples"],
        says="shuffled"),
    bad("first-float32", {"first-examples": fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensor_slices(X_numpy.astype(np.float32))
return np.stack(list(ds.take(k).as_numpy_iterator()))""")}, ["first_examples"],
        says="should keep dtype float64"),
    bad("scalar-python-float", {"make-scalar": fn("make_scalar(value, dtype)",
                                                  "return float(value)")},
        ["make_scalar"], says="returned a float"),
    bad("matmul-elementwise", {"matmul": fn("matmul(A, B)", "return A * B")}, ["matmul"],
        says="`*` multiplies element by element"),
    bad("matmul-operands-swapped", {"matmul": fn("matmul(A, B)", "return tf.matmul(B, A)")},
        ["matmul"], says="the order of the operands"),
    bad("one-hot-of-the-argmax", {"one-hot": fn("one_hot(target, depth)",
                                                "return tf.one_hot(tf.argmax(target), depth)")},
        ["one_hot", "manual_gradients"], says="should have shape"),
]
# A tf.squeeze that drops every axis of size 1 is right on the grader's usual inputs; the
# notebook's hidden tests try sizes of 1, and so must the grader's own checks (a forged
# test-cell report kept these points: perceptron first, then matmul, linear_logits, train)
MISTAKES += [
    bad("matmul-squeeze", {"matmul": fn("matmul(A, B)", "return tf.squeeze(tf.matmul(A, B))")},
        ["matmul"], says="size 1"),
    bad("logits-squeeze", {"linear-logits": fn("linear_logits(X, W, b)",
                                               "return tf.squeeze(tf.matmul(X, W) + b)")},
        ["linear_logits", "manual_gradients"], says="size 1"),
    bad("train-squeeze", {"train": train_of()["train"].replace(
        "return np.array(losses, dtype=np.float32)",
        "return np.squeeze(np.array(losses, dtype=np.float32))")}, ["train"], says="size 1"),
]
MISTAKES += [
    # the digits' ten classes written into cross_entropy: right on every grader input
    # before, which all had ten; the notebook's hidden test has three
    bad("ce-ten-classes-fixed", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
labels = tf.argmax(onehot_target, axis=1)
z = logits - tf.reduce_max(logits, axis=1, keepdims=True)
log_p = z - tf.math.log(tf.reduce_sum(tf.exp(z), axis=1, keepdims=True))
return -tf.reduce_sum(tf.one_hot(labels, 10) * log_p, axis=1)""")}, ["cross_entropy"],
        says="a one-hot's depth"),
]
# A fresh student's (2026-12-04): a cross-entropy in NumPy or SciPy, right on its own, called
# by the loss the tape differentiates: the gradients came back None and the message asked
# about a bias left out; now it names the function that returns no tensor
_NUMPY_CE = fn("cross_entropy(onehot_target, logits)", """
z = np.asarray(logits, dtype=np.float64)
z = z - z.max(axis=1, keepdims=True)
return -np.sum(np.asarray(onehot_target) * (z - np.log(np.exp(z).sum(axis=1, keepdims=True))), axis=1)""")
MISTAKES += [
    bad("cross-entropy-numpy-on-the-tape", {
        "cross-entropy": _NUMPY_CE,
        "loss": fn("loss(X, target, W, b)", """
return tf.reduce_mean(cross_entropy(one_hot(target, 10), tf.matmul(X, W) + b))"""),
        "mlp-loss": fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
A2 = tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2)
return tf.reduce_mean(cross_entropy(one_hot(target, 10), tf.matmul(A2, W3) + b3))""")},
        ["tape_gradients", "train"], says="not a tensor"),
    bad("cross-entropy-scipy-in-mlp-loss", {
        "cross-entropy": "from scipy.special import logsumexp\n\n" + fn(
            "cross_entropy(onehot_target, logits)", """
z = np.asarray(logits, dtype=np.float64)
return -np.sum(np.asarray(onehot_target) * (z - logsumexp(z, axis=1, keepdims=True)), axis=1)"""),
        "mlp-loss": fn("mlp_loss(X, target, params)", """
W1, b1, W2, b2, W3, b3 = params
A2 = tf.tanh(tf.matmul(tf.tanh(tf.matmul(X, W1) + b1), W2) + b2)
return tf.reduce_mean(cross_entropy(one_hot(target, 10), tf.matmul(A2, W3) + b3))""")},
        ["train"], says="not a tensor"),
]
# The fifth red team (2026-12-03, seventh session)
MISTAKES += [
    bad("softmax-sklearn-inplace", {"softmax": "from sklearn.neural_network._base import "
                                               "inplace_softmax\n\n" + fn("softmax(logits)", """
p = np.array(logits, dtype=np.float32, copy=True)
inplace_softmax(p)
return p""")}, ["softmax"], says="inplace_softmax"),
    # names the constructor for the grader's reading but builds no data set: the test
    # cell's watch counts a call once it has returned one
    bad("first-constructor-called-for-show", {"first-examples": fn("first_examples(X_numpy, k)", """
try:
    tf.data.Dataset.from_tensor_slices()
except TypeError:
    pass
return np.array(X_numpy[:k])""")}, ["first_examples"],
        says="must use tf.data.Dataset.from_tensor_slices"),
]
# Named since the eleventh session; each lost its points with only "the answer differs"
MISTAKES += [
    bad("one-hot-shifted-down", {"one-hot": fn("one_hot(target, depth)",
        "return tf.one_hot(target - 1, depth)")}, ["one_hot", "manual_gradients"],
        says="shifted by one (target - 1)"),
    bad("one-hot-shifted-numpy-eye", {"one-hot": fn("one_hot(target, depth)",
        "return np.eye(depth, dtype=np.float32)[np.asarray(target) - 1]")},
        ["one_hot", "manual_gradients"], says="shifted by one (target - 1)"),
    bad("ce-arguments-swapped", {"cross-entropy": fn("cross_entropy(onehot_target, logits)",
        LOG_SOFTMAX.replace("logits", "onehot_target") +
        "return -tf.reduce_sum(logits * log_p, axis=1)")}, ["cross_entropy"],
        says="swapped"),
    bad("loss-cross-entropy-swapped", {"loss": fn("loss(X, target, W, b)",
        "return tf.reduce_mean(cross_entropy(tf.matmul(X, W) + b, one_hot(target, 10)))")},
        ["loss", "tape_gradients"], says="arguments swapped"),
    bad("mlp-loss-cross-entropy-swapped", mlp_loss_of(
        "return tf.reduce_mean(cross_entropy(Z3, tf.one_hot(target, 10)))"), MLP_TRAIN,
        says="arguments swapped"),
    bad("forward-tanh-on-the-output", {"mlp-forward": fn("mlp_forward(X, params)",
        FORWARD + "return softmax(tf.tanh(Z3))")}, ["mlp_forward"],
        says="tanh on the output logits"),
    bad("forward-scales-the-inputs", {"mlp-forward": fn("mlp_forward(X, params)",
        FORWARD.replace("(X, W1)", "(X / 16, W1)") + "return softmax(Z3)")}, ["mlp_forward"],
        says="scaling the inputs inside"),
]
# init_mlp's slips with the right seed, named from the draws (a mistakes round's four were
# told only the generic advice)
MISTAKES += [
    bad("init-xavier-scaled-weights", {"init-mlp": fn("init_mlp(seed)", f"""
tf.random.set_seed(seed)
return [tf.random.normal(s) * (1 / np.sqrt(s[0]) if len(s) == 2 else 1.0) for s in {MLP_SHAPES}]""")},
        INIT_USERS, says="scaled by"),
    bad("init-zero-biases", {"init-mlp": fn("init_mlp(seed)", """
tf.random.set_seed(seed)
W1 = tf.random.normal((64, 100))
W2 = tf.random.normal((100, 50))
W3 = tf.random.normal((50, 10))
return [W1, tf.zeros(100), W2, tf.zeros(50), W3, tf.zeros(10)]""")},
        INIT_USERS, says="biases of zeros"),
    bad("init-weights-then-biases", {"init-mlp": fn("init_mlp(seed)", """
tf.random.set_seed(seed)
Ws = [tf.random.normal(s) for s in [(64, 100), (100, 50), (50, 10)]]
bs = [tf.random.normal(s) for s in [(100,), (50,), (10,)]]
return [Ws[0], bs[0], Ws[1], bs[1], Ws[2], bs[2]]""")}, INIT_USERS, says="another order"),
]
# the fourth fresh students' round (2026-12-04): %config runs its line with exec, which the
# run-time guard refused, so the rest of the cell (its function) never ran
CORRECT += [
    ok("config-magic-atop-an-answer", list_device_types="%config InlineBackend.figure_format = 'retina'\n"
       + fn("list_device_types()", "return sorted({d.device_type for d in tf.config.list_physical_devices()})")),
]
# the mistakes round of 2026-12-04 (eleventh session): each lost its points with "the answer
# differs", a wrong cause or TensorFlow's own words, or cost functions that were right
MISTAKES += [
    # in place on the caller's array: X_digits is read-only now, so the notebook's own test
    # cell fails where the student sees it, and mlp_loss and train (tested on X_digits
    # after) keep their points
    bad("loss-scales-X-in-place", {"loss": fn("loss(X, target, W, b)", """
X = np.asarray(X)
X /= 16
logits = tf.matmul(X, W) + b
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), logits))""")},
        LOSS_USERS, says="read-only"),
    bad("forward-scales-X-in-place", {"mlp-forward": fn("mlp_forward(X, params)", """
X = np.asarray(X)
X /= 16
""" + FORWARD + "return softmax(Z3)")}, ["mlp_forward"], says="read-only"),
    bad("softmax-divides-by-the-max", {"softmax": fn("softmax(logits)", """
e = tf.exp(logits / tf.reduce_max(logits, axis=1, keepdims=True))
return e / tf.reduce_sum(e, axis=1, keepdims=True)""")}, SOFTMAX_USERS,
        says="dividing the logits by the row maximum"),
    bad("softmax-prints", {"softmax": fn("softmax(logits)", """
e = tf.exp(logits - tf.reduce_max(logits, axis=1, keepdims=True))
print(e / tf.reduce_sum(e, axis=1, keepdims=True))""")}, SOFTMAX_USERS, says="returned nothing"),
    bad("gd-params-as-their-own-gradients", {"gd-step": fn("gd_step(params, grads, alpha)",
        "return [p - alpha * q for p, q in zip(params, params)]")}, ["gd_step", "train"],
        says="its own gradient"),
    bad("manual-m-from-axis-1", {"manual-gradients": fn(MANUAL, """
delta = (softmax(tf.matmul(X, W) + b) - one_hot(target, 10)) / X.shape[1]
return tf.matmul(tf.transpose(X), delta), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="number of features"),
    bad("train-result-not-assigned", train_of(step="params"), ["train"], says="never change"),
    bad("train-alpha-twice", train_of(step="gd_step(params, [alpha * g for g in grads], alpha)"),
        ["train"], says="alpha applied twice"),
    bad("mlp-loss-float-labels", mlp_loss_of(
        LESSON_CE.replace("tf.one_hot(target, 10)", "tf.one_hot(tf.cast(target, tf.float32), 10)")),
        MLP_TRAIN, says="integer class ids"),
    bad("loss-uses-the-notebooks-data", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X_digits, W) + b
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), logits))""")},
        ["loss", "tape_gradients"], says="function's own arguments"),
]
MISTAKES += [
    bad("tape-gradients-swapped", {"tape-gradients": fn("tape_gradients(X, target, W, b)", """
W = tf.Variable(W, dtype=tf.float32)
b = tf.Variable(b, dtype=tf.float32)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
return tuple(tape.gradient(L, [b, W]))""")}, ["tape_gradients"], says="returns (db, dW)"),
]
MISTAKES += [
    bad("loss-floor-division", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
sce = tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), logits)
return tf.reduce_sum(sce) // X.shape[0]""")}, ["loss", "tape_gradients"], says="floor division"),
]
