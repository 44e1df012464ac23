"""More of the nn-basics corpus: a fairness probe's entries (2026-12-05), graded with the
entries of :mod:`tests.corpus.nn_basics` by the same tests. ``CORRECT3``: correct-but-
different answers (full marks); ``MISTAKES3``: realistic mistakes, with the exercises they
lose and a phrase their message must hold; ``INTERACTIONS3``: answers the contract allows
(a float64 or NumPy result) that the lesson's caller of them cannot take, so the caller's
points go, and its message names the callee. Two small extensions of ``Variant`` add cells
or rewrite the notebook's metadata (graded alone, never packed)."""

from __future__ import annotations

from tests.corpus.nn_basics import (FORWARD, LESSON_CE, MANUAL, MLP_SHAPES, MLP_TRAIN,
                                    SOFTMAX_USERS, LOSS_USERS, INIT_USERS, bad, fn,
                                    mlp_loss_of, ok, train_of)

SHAPES = MLP_SHAPES

CORRECT3 = [
    # --- devices ---------------------------------------------------------------------------
    ok("devices-np-unique-tolist", list_device_types=fn("list_device_types()", """
return np.unique([d.device_type for d in tf.config.list_physical_devices()]).tolist()""")),
    ok("devices-np-unique-np-str", list_device_types=fn("list_device_types()", """
return list(np.unique([d.device_type for d in tf.config.list_physical_devices()]))""")),
    ok("devices-dict-fromkeys-lru-cache", list_device_types="import functools\n\n\n"
       "@functools.lru_cache(maxsize=None)\n" + fn("list_device_types()", """
return sorted(dict.fromkeys(d.device_type for d in tf.config.list_physical_devices()))""")),
    ok("devices-display-builtin", list_device_types=fn("list_device_types()", """
return sorted({d.device_type for d in tf.config.list_physical_devices()})""")
       + "\ndisplay(list_device_types())\n"),
    ok("devices-visible-devices", list_device_types=fn("list_device_types()", """
return sorted({d.device_type for d in tf.config.get_visible_devices()})""")),
    # --- make_scalar -----------------------------------------------------------------------
    ok("scalar-numpy-scalar-type", make_scalar=fn("make_scalar(value, dtype)", """
return tf.convert_to_tensor(np.dtype(dtype).type(value))""")),
    ok("scalar-ones-times-value", make_scalar=fn("make_scalar(value, dtype)", """
return tf.ones((), dtype=dtype) * value""")),
    ok("scalar-type-hints-future", make_scalar="from __future__ import annotations\n\n"
       "def make_scalar(value: int | float, dtype: str) -> tf.Tensor:\n"
       "    \"\"\"doc\"\"\"\n"
       "    return tf.constant(value, dtype=tf.dtypes.as_dtype(dtype), shape=())\n"),
    # --- dot / matmul ----------------------------------------------------------------------
    ok("dot-np-inner", dot=fn("dot(a, b)", "return np.inner(a, b)")),
    ok("dot-index-loop", dot=fn("dot(a, b)", """
total = 0
for i in range(len(a)):
    total += a[i] * b[i]
return total""")),
    ok("dot-tensordot-axes-lists-timeit", dot=fn("dot(a, b)",
       "return tf.tensordot(a, b, axes=[[0], [0]])")
       + "\n%timeit -n 5 -r 1 dot(np.ones(3, np.float32), np.ones(3, np.float32))\n"),
    ok("matmul-triple-loop", matmul=fn("matmul(A, B)", """
m, p = A.shape
q = B.shape[1]
C = np.zeros((m, q))
for i in range(m):
    for j in range(q):
        for k in range(p):
            C[i, j] += A[i, k] * B[k, j]
return C""")),
    ok("matmul-linalg-dot-method", matmul=fn("matmul(A, B)", "return tf.linalg.matmul(A, B)")),
    # --- data ------------------------------------------------------------------------------
    ok("diabetes-cast-after-constant", load_diabetes_tensor="from sklearn.datasets import load_diabetes\n\n"
       + fn("load_diabetes_tensor()", """
bunch = load_diabetes()
X = tf.constant(bunch.data)
return tf.cast(X, tf.float32)""")),
    ok("first-get-single-element", first_examples=fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensor_slices(X_numpy)
return ds.take(k).batch(k).get_single_element().numpy()""")),
    ok("first-zip-range", first_examples=fn("first_examples(X_numpy, k)", """
rows = []
for _, row in zip(range(k), tf.data.Dataset.from_tensor_slices(X_numpy).as_numpy_iterator()):
    rows.append(row)
return np.asarray(rows)""")),
    # --- perceptron / logits -----------------------------------------------------------------
    ok("perceptron-einsum-future-hints", perceptron="from __future__ import annotations\n\n"
       "def perceptron(X: np.ndarray, w: np.ndarray, b: float) -> tf.Tensor:\n"
       "    \"\"\"Forward pass of one neuron.\"\"\"\n"
       "    return tf.einsum('ij,j->i', X, w) + b\n"),
    ok("perceptron-expand-dims-index", perceptron=fn("perceptron(X, w, b)", """
return tf.matmul(X, tf.expand_dims(w, 1))[:, 0] + b""")),
    ok("logits-dense-helper", linear_logits="def dense(A, W, b, activation=None):\n"
       "    Z = tf.matmul(A, W) + b\n"
       "    return Z if activation is None else activation(Z)\n\n\n"
       + fn("linear_logits(X, W, b)", "return dense(X, W, b)")),
    # --- softmax ---------------------------------------------------------------------------
    ok("softmax-map-fn-rows", softmax=fn("softmax(logits)", """
def row_softmax(z):
    e = tf.exp(z - tf.reduce_max(z))
    return e / tf.reduce_sum(e)
return tf.map_fn(row_softmax, tf.convert_to_tensor(logits))""")),
    ok("softmax-python-row-loop", softmax=fn("softmax(logits)", """
z = np.array(logits, dtype=np.float32)
out = np.empty_like(z)
for i, row in enumerate(z):
    e = np.exp(row - row.max())
    out[i] = e / e.sum()
return out""")),
    ok("softmax-stop-gradient-check-numerics", softmax=fn("softmax(logits)", """
z = tf.convert_to_tensor(logits)
z = z - tf.stop_gradient(tf.reduce_max(z, axis=1, keepdims=True))
e = tf.math.exp(z)
p = tf.math.divide(e, tf.math.reduce_sum(e, axis=1, keepdims=True))
return tf.debugging.check_numerics(p, "softmax")""")),
    ok("softmax-scipy-logsumexp", softmax="from scipy.special import logsumexp\n\n"
       + fn("softmax(logits)", """
z = np.asarray(logits)
return np.exp(z - logsumexp(z, axis=1, keepdims=True))""")),
    ok("softmax-extra-axis-argument", softmax="def softmax(logits, axis=1):\n" + """    \"\"\"Row-wise softmax.\"\"\"
    z = logits - tf.reduce_max(logits, axis=axis, keepdims=True)
    e = tf.exp(z)
    return e / tf.reduce_sum(e, axis=axis, keepdims=True)
"""),
    ok("softmax-keras-ops", softmax="import keras\n\n" + fn("softmax(logits)", """
z = keras.ops.convert_to_tensor(logits)
z = z - keras.ops.max(z, axis=1, keepdims=True)
e = keras.ops.exp(z)
return e / keras.ops.sum(e, axis=1, keepdims=True)""")),
    # --- one_hot ---------------------------------------------------------------------------
    ok("one-hot-fancy-index", one_hot=fn("one_hot(target, depth)", """
T = np.zeros((len(target), depth), dtype=np.float32)
T[np.arange(len(target)), target] = 1.0
return T""")),
    ok("one-hot-on-off-values", one_hot=fn("one_hot(target, depth)",
       "return tf.one_hot(indices=target, depth=depth, on_value=1.0, off_value=0.0)")),
    ok("one-hot-gather-eye", one_hot=fn("one_hot(target, depth)",
       "return tf.gather(tf.eye(depth), target)")),
    ok("one-hot-scatter-nd", one_hot=fn("one_hot(target, depth)", """
m = len(target)
idx = tf.stack([tf.range(m, dtype=tf.int64), tf.cast(target, tf.int64)], axis=1)
return tf.scatter_nd(idx, tf.ones(m, tf.float32), [m, depth])""")),
    # --- cross_entropy ---------------------------------------------------------------------
    ok("ce-argmax-gather-batch-dims", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
log_p = z - tf.reduce_logsumexp(z, axis=1, keepdims=True)
labels = tf.argmax(onehot_target, axis=1)
return -tf.gather(log_p, labels, batch_dims=1)""")),
    ok("ce-boolean-mask", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
m = tf.reduce_max(z, axis=1, keepdims=True)
log_p = z - m - tf.math.log(tf.reduce_sum(tf.exp(z - m), axis=1, keepdims=True))
return -tf.boolean_mask(log_p, onehot_target > 0.5)""")),
    ok("ce-float64-then-cast", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
z = tf.cast(logits, tf.float64)
t = tf.cast(onehot_target, tf.float64)
lse = tf.reduce_logsumexp(z, axis=-1, keepdims=True)
return tf.cast(-tf.reduce_sum(t * (z - lse), axis=-1), tf.float32)""")),
    ok("ce-keras-ops-logsumexp", cross_entropy="import keras\n\n" + fn("cross_entropy(onehot_target, logits)", """
z = keras.ops.convert_to_tensor(logits)
return keras.ops.logsumexp(z, axis=1) - keras.ops.sum(onehot_target * z, axis=1)""")),
    # --- loss / seed / tape ----------------------------------------------------------------
    ok("loss-keras-functional-from-logits", loss=fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
per_example = tf.keras.losses.categorical_crossentropy(tf.one_hot(target, 10), logits, from_logits=True)
return tf.reduce_mean(per_example)""")),
    ok("loss-sum-over-len", loss=fn("loss(X, target, W, b)", """
Z = linear_logits(X, W, b)
return tf.reduce_sum(cross_entropy(one_hot(target, 10), Z)) / len(X)""")),
    ok("seed-hex-annotated", seed="SEED: int = 0x12  # 18, found above\n"),
    ok("seed-np-int32", seed="SEED = np.int32(18)\n"),
    ok("tape-dict-sources", tape_gradients=fn("tape_gradients(X, target, W, b)", """
variables = {"W": tf.Variable(W), "b": tf.Variable(b)}
with tf.GradientTape() as tape:
    L = loss(X, target, variables["W"], variables["b"])
grads = tape.gradient(L, variables)
return grads["W"], grads["b"]""")),
    ok("tape-returns-numpy-list", tape_gradients=fn("tape_gradients(X, target, W, b)", """
W_var, b_var = tf.Variable(W), tf.Variable(b)
with tf.GradientTape() as g:
    J = loss(X, target, W_var, b_var)
return [t.numpy() for t in g.gradient(J, [W_var, b_var])]""")),
    # --- manual gradients ------------------------------------------------------------------
    ok("manual-outer-product-loop", manual_gradients=fn(MANUAL, """
X = np.asarray(X, np.float64)
P = np.asarray(softmax(np.asarray(X @ W + b, np.float32)), np.float64)
T = np.eye(W.shape[1])[target]
m = X.shape[0]
dW = np.zeros(W.shape)
db = np.zeros(b.shape)
for i in range(m):
    d = (P[i] - T[i]) / m
    dW += np.outer(X[i], d)
    db += d
return dW, db""")),
    ok("manual-ones-row", manual_gradients=fn(MANUAL, """
X = tf.constant(X, tf.float32)
m = X.shape[0]
delta = (softmax(linear_logits(X, W, b)) - one_hot(target, 10)) / m
ones = tf.ones((1, m))
return tf.transpose(X) @ delta, tf.reshape(ones @ delta, [-1])""")),
    ok("manual-einsum-tf", manual_gradients=fn(MANUAL, """
Y_hat = softmax(tf.matmul(X, W) + b)
delta = (Y_hat - tf.one_hot(target, depth=10)) / tf.cast(len(target), tf.float32)
return tf.einsum('mi,mk->ik', X, delta), tf.einsum('mk->k', delta)""")),
    # --- MLP -------------------------------------------------------------------------------
    ok("init-returns-tuple-named-variables", init_mlp=fn("init_mlp(seed)", """
tf.random.set_seed(seed)
names = ["W1", "b1", "W2", "b2", "W3", "b3"]
shapes = [(64, 100), (100,), (100, 50), (50,), (50, 10), (10,)]
return tuple(tf.Variable(tf.random.normal(s), name=n) for n, s in zip(names, shapes))""")),
    ok("init-generator-layers", init_mlp=fn("init_mlp(seed)", """
tf.random.set_seed(seed)
layers = [64, 100, 50, 10]
return [tf.random.normal(shape, dtype='float32') for n_in, n_out in zip(layers, layers[1:])
        for shape in ((n_in, n_out), (n_out,))]""")),
    ok("forward-class-based", mlp_forward="class MLP:\n"
       "    def __init__(self, params):\n"
       "        self.W1, self.b1, self.W2, self.b2, self.W3, self.b3 = params\n\n"
       "    def logits(self, X):\n"
       "        A1 = tf.tanh(X @ self.W1 + self.b1)\n"
       "        A2 = tf.tanh(A1 @ self.W2 + self.b2)\n"
       "        return A2 @ self.W3 + self.b3\n\n"
       "    def __call__(self, X):\n"
       "        return softmax(self.logits(X))\n\n\n"
       + fn("mlp_forward(X, params)", "return MLP(params)(X)")),
    ok("forward-inline-stable-softmax-indexing", mlp_forward=fn("mlp_forward(X, params)", """
A = X
for i in (0, 2):
    A = tf.math.tanh(tf.matmul(A, params[i]) + params[i + 1])
Z = tf.matmul(A, params[4]) + params[5]
Z = Z - tf.reduce_max(Z, axis=1, keepdims=True)
return tf.exp(Z) / tf.reduce_sum(tf.exp(Z), axis=1, keepdims=True)""")),
    ok("forward-numpy-float64", mlp_forward=fn("mlp_forward(X, params)", """
W1, b1, W2, b2, W3, b3 = (np.asarray(p, dtype=np.float64) for p in params)
A2 = np.tanh(np.tanh(np.asarray(X, np.float64) @ W1 + b1) @ W2 + b2)
Z3 = A2 @ W3 + b3
E = np.exp(Z3 - Z3.max(axis=1, keepdims=True))
return E / E.sum(axis=1, keepdims=True)""")),
    ok("mlp-loss-inline-logsumexp-onehot", mlp_loss=fn("mlp_loss(X, target, params)", FORWARD + """
T = tf.one_hot(target, 10)
log_probs = Z3 - tf.reduce_logsumexp(Z3, axis=1, keepdims=True)
return -tf.reduce_mean(tf.reduce_sum(T * log_probs, axis=1))""")),
    ok("mlp-loss-keras-functional", mlp_loss=fn("mlp_loss(X, target, params)", FORWARD + """
return tf.reduce_mean(tf.keras.losses.categorical_crossentropy(tf.one_hot(target, 10), Z3, from_logits=True))""")),
    ok("gd-capture-magic-map-two-lists", gd_step="%%capture\n" + fn("gd_step(params, grads, alpha)", """
return list(map(lambda p, g: p - g * alpha, params, grads))""") + "\nprint('defined gd_step')\n"),
    ok("gd-math-ops", gd_step=fn("gd_step(params, grads, alpha)", """
new_params = []
for p, g in zip(params, grads):
    new_params.append(tf.math.subtract(p, tf.math.multiply(alpha, g)))
return new_params""")),
    # --- train -----------------------------------------------------------------------------
    ok("train-tf-stack-default-args-logging", train="import logging\nlogger = logging.getLogger('train')\n\n"
       "def train(X, target, params, alpha=0.1, epochs=10):\n    \"\"\"doc\"\"\"\n" + """    params = [tf.identity(tf.convert_to_tensor(p, tf.float32)) for p in params]
    losses = []
    epoch = 0
    while epoch < epochs:
        with tf.GradientTape() as tape:
            tape.watch(params)
            L = mlp_loss(X, target, params)
            grads = tape.gradient(L, params)
        losses.append(L)
        logger.info("epoch %d loss %.4f", epoch, float(L))
        params = gd_step(params, grads, alpha)
        epoch += 1
    return tf.stack(losses)
"""),
    ok("train-rewrap-variables-prints-plot", train="import matplotlib.pyplot as plt\n\n" + fn(
        "train(X, target, params, alpha, epochs)", """
params = [tf.Variable(np.array(p, dtype=np.float32, copy=True)) for p in params]
history = []
for epoch in range(epochs):
    with tf.GradientTape(persistent=True) as tape:
        J = mlp_loss(X, target, params)
    grads = tape.gradient(J, params)
    del tape
    history.append(float(J))
    print(f"epoch {epoch + 1}/{epochs}: loss = {J:.4f}")
    params = [tf.Variable(p) for p in gd_step(params, grads, alpha)]
plt.figure()
plt.plot(history)
plt.close()
return history""")),
]

MISTAKES3 = [
    bad("devices-returns-set", {"list-device-types": fn("list_device_types()", """
return {d.device_type for d in tf.config.list_physical_devices()}""")},
        ["list_device_types"], says="list"),
    bad("devices-lowercase", {"list-device-types": fn("list_device_types()", """
return sorted({d.device_type.lower() for d in tf.config.list_physical_devices()})""")},
        ["list_device_types"], says="'cpu'"),
    bad("dot-tensordot-axes-0", {"dot": fn("dot(a, b)", "return tf.tensordot(a, b, axes=0)")},
        ["dot"], says="shape"),
    bad("diabetes-transposed", {"load-diabetes-tensor": fn("load_diabetes_tensor()", """
return tf.constant(sklearn_datasets.load_diabetes().data.T, dtype=tf.float32)""")},
        ["load_diabetes_tensor"], says="(10, 442)"),
    bad("first-returns-list", {"first-examples": fn("first_examples(X_numpy, k)", """
return list(tf.data.Dataset.from_tensor_slices(X_numpy).take(k).as_numpy_iterator())""")},
        ["first_examples"], says="NumPy array"),
    bad("perceptron-elementwise", {"perceptron": fn("perceptron(X, w, b)", "return X * w + b")},
        ["perceptron"], says="shape"),
    bad("logits-minus-bias", {"linear-logits": fn("linear_logits(X, W, b)",
        "return tf.matmul(X, W) - b")}, ["linear_logits", "manual_gradients"],
        # found then (message, minor): only "the answer differs"; the catalogue knows a
        # forgotten bias, not a subtracted one
        says="subtracting the bias"),
    bad("softmax-logsumexp-without-axis", {"softmax": fn("softmax(logits)", """
z = tf.convert_to_tensor(logits)
return tf.exp(z - tf.reduce_logsumexp(z))""")}, SOFTMAX_USERS, says="whole matrix"),
    bad("softmax-shifted-numerator-only", {"softmax": fn("softmax(logits)", """
z = tf.convert_to_tensor(logits)
e = tf.exp(z - tf.reduce_max(z, axis=1, keepdims=True))
return e / tf.reduce_sum(tf.exp(z), axis=1, keepdims=True)""")}, SOFTMAX_USERS, says="sum"),
    bad("one-hot-arguments-swapped", {"one-hot": fn("one_hot(target, depth)",
        "return tf.one_hot(depth, target)")}, ["one_hot", "manual_gradients"], says="depth must be a scalar"),
    bad("ce-max-of-picked-logit", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
return tf.reduce_logsumexp(z, axis=1) - tf.reduce_max(onehot_target * z, axis=1)""")},
        ["cross_entropy"], says="differs from the reference"),
    bad("ce-lse-without-keepdims", {"cross-entropy": fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
return -tf.reduce_sum(onehot_target * (z - tf.reduce_logsumexp(z, axis=1)), axis=1)""")},
        ["cross_entropy"], says="keepdims"),
    bad("loss-returns-numpy", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(tf.one_hot(target, 10), logits)).numpy()""")},
        ["tape_gradients"], says="a loss computed with NumPy"),
    bad("loss-tf-sce-swapped", {"loss": fn("loss(X, target, W, b)", """
logits = tf.matmul(X, W) + b
return tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(logits, tf.one_hot(target, 10)))""")},
        ["loss", "tape_gradients"], says="swapped"),  # SEED keeps its point (loss still < 62)
    bad("tape-untrainable-variables", {"tape-gradients": fn("tape_gradients(X, target, W, b)", """
W = tf.Variable(W, trainable=False)
b = tf.Variable(b, trainable=False)
with tf.GradientTape() as tape:
    L = loss(X, target, W, b)
return tuple(tape.gradient(L, [W, b]))""")}, ["tape_gradients"], says="watch"),
    bad("manual-logits-not-softmax", {"manual-gradients": fn(MANUAL, """
Z = tf.matmul(X, W) + b
delta = (Z - tf.one_hot(target, 10)) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=0)""")},
        # found then (message, minor): only "relative error 2e+00"
        ["manual_gradients"], says="in place of the softmax"),
    bad("manual-inline-naive-softmax", {"manual-gradients": fn(MANUAL, """
E = tf.exp(tf.matmul(X, W) + b)
P = E / tf.reduce_sum(E, axis=1, keepdims=True)
delta = (P - tf.one_hot(target, 10)) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=0)""")},
        ["manual_gradients"], says="stable"),
    bad("init-transposed-weights", {"init-mlp": fn("init_mlp(seed)", """
tf.random.set_seed(seed)
return [tf.random.normal(s) for s in [(100, 64), (100,), (50, 100), (50,), (10, 50), (10,)]]""")},
        INIT_USERS, says="shape"),
    bad("init-bias-rows", {"init-mlp": fn("init_mlp(seed)", """
tf.random.set_seed(seed)
return [tf.random.normal(s) for s in [(64, 100), (1, 100), (100, 50), (1, 50), (50, 10), (1, 10)]]""")},
        INIT_USERS, says="shape"),
    bad("init-seed-before-each-draw", {"init-mlp": fn("init_mlp(seed)", f"""
params = []
for shape in {SHAPES}:
    tf.random.set_seed(seed)
    params.append(tf.random.normal(shape))
return params""")}, INIT_USERS, says="set_seed"),
    bad("forward-returns-probs-and-logits", {"mlp-forward": fn("mlp_forward(X, params)",
        FORWARD + "return softmax(Z3), Z3")}, ["mlp_forward"], says="a tuple of length 2"),
    bad("mlp-loss-returns-python-float", mlp_loss_of(LESSON_CE.replace("return ", "return float(") + ")"),
        ["train"], says="a loss returned with float(...)"),
    bad("gd-nested-comprehension", {"gd-step": fn("gd_step(params, grads, alpha)",
        "return [p - alpha * g for p in params for g in grads]")}, ["gd_step", "train"],
        # found then (misleading message): "these are the shapes of a matrix product's operands:
        # `*` multiplies element by element; a matrix product is `@` or tf.matmul"
        says="its own gradient, e.g. with zip"),
    bad("train-without-watch", {"train": fn(
        "train(X, target, params, alpha, epochs)", """
params = [tf.convert_to_tensor(p, tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        L = mlp_loss(X, target, params)
    grads = tape.gradient(L, params)
    losses.append(float(L))
    params = gd_step(params, grads, alpha)
return losses""")}, ["train"], says="watch"),
    bad("train-variables-replaced-by-tensors", {"train": fn(
        "train(X, target, params, alpha, epochs)", """
params = [tf.Variable(p, dtype=tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        L = mlp_loss(X, target, params)
    grads = tape.gradient(L, params)
    losses.append(float(L))
    params = gd_step(params, grads, alpha)
return losses""")}, ["train"], says="Variable"),
    bad("train-one-loss-too-few", train_of(epochs="1, epochs"), ["train"], says="one loss per epoch"),
]


# --- second batch: notebook habits, extra cells, file output, more mistakes -----------------
import copy as _copy
from dataclasses import dataclass as _dataclass

from tests.corpus.nn_basics import Variant as _Variant


@_dataclass(frozen=True)
class WithCells(_Variant):
    """A variant that also inserts new cells (no nbgrader metadata) after answer cells:
    ``inserted`` is a tuple of (grade_id, cell_type, source). Needs this small extension of
    the corpus's Variant."""
    inserted: tuple = ()
    changes_notebook = True  # more than answer cells: graded alone (tests/corpus/packs.py)

    def apply(self, notebook):
        import nbformat
        notebook = super().apply(notebook)
        for grade_id, cell_type, source in self.inserted:
            where = next(i for i, c in enumerate(notebook.cells)
                         if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id)
            new = (nbformat.v4.new_code_cell(source) if cell_type == "code"
                   else nbformat.v4.new_markdown_cell(source))
            notebook.cells.insert(where + 1, new)
        return notebook


KERAS_FURTHER = """# Going further: the same MLP in Keras, for comparison
model = tf.keras.Sequential([
    tf.keras.Input(shape=(64,)),
    tf.keras.layers.Dense(100, activation="tanh"),
    tf.keras.layers.Dense(50, activation="tanh"),
    tf.keras.layers.Dense(10),
])
model.compile(optimizer=tf.keras.optimizers.SGD(0.1),
              loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
history_keras = model.fit(X_digits / 16, target_digits, epochs=2, batch_size=256, verbose=0)
print(model.evaluate(X_digits / 16, target_digits, verbose=0))
"""

ACCURACY_FURTHER = """# accuracy of the trained MLP (going further)
def accuracy(X, target, params):
    return float(np.mean(np.argmax(np.asarray(mlp_forward(X, params)), axis=1) == target))

params_acc = init_mlp(12345)
print("accuracy before training:", accuracy(X_digits / 16, target_digits, params_acc))
"""

CORRECT3 += [
    ok("seed-search-left-unimplemented", seed_search="# Search a few seeds for a random start with loss < 62 (not graded).\n"
       "# YOUR CODE HERE\nraise NotImplementedError()\n"),
    ok("autoreload-magics-atop", list_device_types="%load_ext autoreload\n%autoreload 2\n\n"
       + fn("list_device_types()", "return sorted({d.device_type for d in tf.config.list_physical_devices()})")),
    ok("main-guard-and-type-name", dot=fn("dot(a, b)", "return tf.tensordot(a, b, axes=1)")
       + "\nif __name__ == \"__main__\":\n"
       "    _x = dot(np.ones(3, np.float32), np.ones(3, np.float32))\n"
       "    print(type(_x).__name__, _x.__class__.__name__, float(_x))\n"),
    ok("devices-prints-python-version", list_device_types="import sys, platform\n"
       "print(sys.version, platform.python_version())\n\n"
       + fn("list_device_types()", "return sorted({d.device_type for d in tf.config.list_physical_devices()})")),
    ok("train-list-of-scalar-tensors", train=fn("train(X, target, params, alpha, epochs)", """
params = [tf.constant(p, tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X, target, params)
    losses.append(L)
    params = gd_step(params, tape.gradient(L, params), alpha)
return losses""")),
    ok("train-saves-history-np-save", train=fn("train(X, target, params, alpha, epochs)", """
params = [tf.constant(p, tf.float32) for p in params]
losses = []
for _ in range(epochs):
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X, target, params)
    losses.append(float(L))
    params = gd_step(params, tape.gradient(L, params), alpha)
losses = np.array(losses)
np.save("train_history.npy", losses)
return losses""")),
    ok("train-tf-data-full-batch", train=fn("train(X, target, params, alpha, epochs)", """
data = tf.data.Dataset.from_tensors((X, target)).repeat(epochs)
params = [tf.convert_to_tensor(p, tf.float32) for p in params]
losses = []
for X_batch, t_batch in data:
    with tf.GradientTape() as tape:
        tape.watch(params)
        L = mlp_loss(X_batch, t_batch, params)
    losses.append(L.numpy())
    params = gd_step(params, tape.gradient(L, params), alpha)
return np.array(losses)""")),
    WithCells("extra-cell-keras-model-compile", {}, inserted=(("train", "code", KERAS_FURTHER),)),
    WithCells("extra-cells-markdown-and-accuracy", {}, inserted=(
        ("softmax", "markdown", "My notes: softmax is shift-invariant, so subtract the max."),
        ("softmax", "code", "print(softmax(np.array([[1000.0, 0.0], [-5.0, 5.0]], np.float32)))"),
        ("train", "code", ACCURACY_FURTHER))),
]

MISTAKES3 += [
    bad("one-hot-axis-0", {"one-hot": fn("one_hot(target, depth)",
        "return tf.one_hot(target, depth, axis=0)")}, ["one_hot", "manual_gradients"],
        # the one_hot check names the shape; found then (misleading): manual_gradients' three
        # checks say "the shapes of a matrix product's operands: `*` multiplies element by
        # element" of a subtraction of a (m, K) and a transposed (K, m) one-hot
        says="(7, 25)"),
    bad("manual-db-sum-all", {"manual-gradients": fn(MANUAL, """
X = tf.convert_to_tensor(X, tf.float32)
delta = (softmax(tf.matmul(X, W) + b) - tf.one_hot(target, 10)) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta)""")},
        # found then (message, minor): "should have shape (10,), but it has shape ()": the
        # reduction without axis=0 is not named (the 1-D wrong-axis case is)
        ["manual_gradients"], says="a sum without an axis"),
]


# --- third batch: the grader's reading of the source, encodings, notebook metadata ----------
@_dataclass(frozen=True)
class WithMetadata(_Variant):
    """A variant that rewrites the notebook as another front end saves it (Colab, VS Code,
    an older Jupyter): ``how`` names the change (needs this small extension)."""
    how: str = ""
    changes_notebook = True  # more than answer cells: graded alone (tests/corpus/packs.py)

    def apply(self, notebook):
        notebook = super().apply(notebook)
        if self.how == "colab":
            notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
            notebook.metadata["colab"] = {"provenance": [], "gpuType": "T4"}
            notebook.metadata["accelerator"] = "GPU"
            for i, cell in enumerate(notebook.cells):
                cell.metadata["id"] = f"cell{i:04d}"
                if cell.cell_type == "code":
                    cell.metadata["colab"] = {"base_uri": "https://localhost:8080/"}
                    cell.metadata["outputId"] = f"out{i:04d}"
        elif self.how == "conda-kernel":
            notebook.metadata["kernelspec"] = {"name": "conda-env-tf-py", "display_name":
                                               "Python [conda env:tf]", "language": "python"}
            notebook.metadata["language_info"] = {"name": "python", "version": "3.10.13"}
        elif self.how == "stale-outputs":
            for cell in notebook.cells:
                if cell.cell_type == "code":
                    cell.execution_count = 7
                    import nbformat
                    cell.outputs = [nbformat.v4.new_output("error", ename="NotImplementedError",
                                                           evalue="", traceback=["NotImplementedError"]),
                                    nbformat.v4.new_output("stream", name="stdout", text="old run\n")]
        elif self.how == "old-nbformat":
            notebook.nbformat_minor = 4
            for cell in notebook.cells:
                cell.pop("id", None)
        return notebook


CORRECT3 += [
    # the student's own checks at the top level of an answer cell, comparing with the API the
    # function itself must not call (the visible test cell does the same)
    ok("softmax-cell-self-check-with-tf-nn", softmax=fn("softmax(logits)", """
# like tf.nn.softmax(logits, axis=1), written by hand
z = logits - tf.reduce_max(logits, axis=1, keepdims=True)
e = tf.exp(z)
return e / tf.reduce_sum(e, axis=1, keepdims=True)""") + """
_zz = np.random.default_rng(0).normal(size=(4, 3)).astype(np.float32)
assert np.allclose(softmax(_zz), tf.nn.softmax(_zz).numpy(), atol=1e-6)
"""),
    ok("ce-cell-self-check-with-tf-nn", cross_entropy=fn("cross_entropy(onehot_target, logits)", """
z = tf.convert_to_tensor(logits)
log_p = z - tf.reduce_logsumexp(z, axis=1, keepdims=True)
return -tf.reduce_sum(tf.cast(onehot_target, z.dtype) * log_p, axis=1)""") + """
my_T = np.eye(3, dtype=np.float32)[[0, 2, 1]]
my_z = np.array([[2.0, 1.0, 0.1], [0.5, 0.5, 3.0], [1.0, 4.0, -2.0]], np.float32)
print(cross_entropy(my_T, my_z).numpy(), tf.nn.softmax_cross_entropy_with_logits(my_T, my_z).numpy())
"""),
    ok("manual-cell-compares-with-a-tape", manual_gradients=fn(MANUAL, """
X = tf.convert_to_tensor(X, tf.float32)
delta = (softmax(tf.matmul(X, W) + b) - one_hot(target, 10)) / X.shape[0]
return tf.matmul(X, delta, transpose_a=True), tf.reduce_sum(delta, axis=0)""") + """
tf.random.set_seed(0)
W_chk = tf.Variable(tf.random.normal((64, 10)))
b_chk = tf.Variable(tf.random.normal((10,)))
with tf.GradientTape() as tape_chk:
    L_chk = loss(X_digits[:50], target_digits[:50], W_chk, b_chk)
dW_chk, db_chk = tape_chk.gradient(L_chk, [W_chk, b_chk])
dW_m, db_m = manual_gradients(X_digits[:50], target_digits[:50], W_chk.numpy(), b_chk.numpy())
print(np.abs(dW_chk.numpy() - np.asarray(dW_m)).max())
"""),
    ok("softmax-class-with-reference-method", softmax="class Activations:\n"
       "    @staticmethod\n"
       "    def softmax(logits):\n"
       "        z = logits - tf.reduce_max(logits, axis=1, keepdims=True)\n"
       "        e = tf.exp(z)\n"
       "        return e / tf.reduce_sum(e, axis=1, keepdims=True)\n\n"
       "    @staticmethod\n"
       "    def reference(logits):\n"
       "        return tf.nn.softmax(logits)\n\n\n"
       "softmax = Activations.softmax\n"),
    ok("softmax-in-place-on-a-float64-copy", softmax=fn("softmax(logits)", """
z = np.asarray(logits, dtype=np.float64)  # a new float64 array: the float32 input is not touched
z -= z.max(axis=1, keepdims=True)
np.exp(z, out=z)
z /= z.sum(axis=1, keepdims=True)
return z""")),
    ok("first-from-tensorflow-import-data", first_examples="from tensorflow import data as tfdata\n\n"
       + fn("first_examples(X_numpy, k)", """
return np.stack(list(tfdata.Dataset.from_tensor_slices(X_numpy).take(k).as_numpy_iterator()))""")),
    ok("first-dict-elements", first_examples=fn("first_examples(X_numpy, k)", """
ds = tf.data.Dataset.from_tensor_slices({"x": X_numpy})
return np.stack([elem["x"] for elem in ds.take(k).as_numpy_iterator()])""")),
    ok("gd-unicode-alpha-accents", gd_step="# Étape de descente de gradient (α = taux d'apprentissage)\n"
       + fn("gd_step(params, grads, alpha)", """
α = alpha
return [θ - α * g for θ, g in zip(params, grads)]""")),
    ok("softmax-tab-indented", softmax="def softmax(logits):\n\t\"\"\"Row-wise softmax.\"\"\"\n"
       "\tz = logits - tf.reduce_max(logits, axis=1, keepdims=True)\n\te = tf.exp(z)\n"
       "\treturn e / tf.reduce_sum(e, axis=1, keepdims=True)\n"),
    ok("matmul-crlf-line-endings", matmul="def matmul(A, B):\r\n    \"\"\"doc\"\"\"\r\n"
       "    C = tf.matmul(A, B)\r\n    return C\r\n"),
    ok("warnings-ignored", list_device_types="import warnings\nwarnings.filterwarnings('ignore')\n\n"
       + fn("list_device_types()", "return sorted({d.device_type for d in tf.config.list_physical_devices()})")),
    ok("warnings-as-errors", list_device_types="import warnings\nwarnings.simplefilter('error')\n\n"
       + fn("list_device_types()", "return sorted({d.device_type for d in tf.config.list_physical_devices()})")),
    WithMetadata("notebook-saved-by-colab", {}, how="colab"),
    WithMetadata("notebook-conda-kernel", {}, how="conda-kernel"),
    WithMetadata("notebook-stale-error-outputs", {}, how="stale-outputs"),
    WithMetadata("notebook-old-nbformat-no-ids", {}, how="old-nbformat"),
]


# --- fourth batch: contract-legal return types that the lesson's other answers consume -----
# Graded below full marks (see the report): the contract lets these functions return float64 /
# NumPy, but the lesson's own manual_gradients / train (the solved notebook's) cannot consume
# them; the points go from the caller, whose message does not name the callee's return type.
INTERACTIONS3 = [
    bad("logits-float64-result", {"linear-logits": fn("linear_logits(X, W, b)", """
X64 = tf.cast(X, tf.float64)
return tf.matmul(X64, tf.cast(W, tf.float64)) + tf.cast(b, tf.float64)""")},
        ["manual_gradients"], says="check the type and dtype of what each returns"),
    bad("gd-numpy-arrays", {"gd-step": fn("gd_step(params, grads, alpha)", """
return [np.asarray(p) - alpha * np.asarray(g) for p, g in zip(params, grads)]""")},
        ["train"], says="check the type and dtype of what each returns"),
]
CORRECT3 += [
    ok("softmax-numpy-float64-result", softmax=fn("softmax(logits)", """
z = np.asarray(logits, dtype=np.float64)
e = np.exp(z - z.max(axis=1, keepdims=True))
return e / e.sum(axis=1, keepdims=True)""")),
]
