"""The training report: scores on a test split and the plots written beside the model.

    metrics = evaluate(model.predict, x_test, y_test)   # accuracy, loss, per digit, confusion
"""

import numpy as np


def evaluate(predict, x_test, y_test) -> dict:
    """Accuracy, per-digit accuracy and the confusion matrix of `predict` on a test split.

    `predict` maps `(N, 28, 28, 1) float32` → `(N, 10)` probabilities.
    """
    probabilities = predict(x_test.reshape(-1, 28, 28, 1).astype(np.float32))
    predicted = probabilities.argmax(axis=1)
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (y_test.astype(int), predicted), 1)
    per_digit = {
        str(d): round(float(confusion[d, d] / max(confusion[d].sum(), 1)), 4) for d in range(10)
    }
    eps = 1e-7
    loss = float(-np.mean(np.log(probabilities[np.arange(len(y_test)), y_test] + eps)))
    return {
        "accuracy": round(float((predicted == y_test).mean()), 5),
        "loss": round(loss, 5),
        "per_digit_accuracy": per_digit,
        "confusion_matrix": confusion.tolist(),
    }


def plot_history(history: dict, path) -> None:
    """Loss and accuracy per epoch, training against test, as one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    epochs = np.arange(1, len(history["loss"]) + 1)
    figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
    for axis, key, title in ((left, "loss", "Loss"), (right, "accuracy", "Accuracy")):
        axis.plot(epochs, history[key], marker="o", label="training (augmented)")
        axis.plot(epochs, history[f"val_{key}"], marker="o", label="MNIST test")
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def plot_confusion(confusion, path) -> None:
    """The test confusion matrix as a labelled heat map PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    confusion = np.asarray(confusion)
    figure, axis = plt.subplots(figsize=(6, 5.4))
    axis.imshow(np.log1p(confusion), cmap="Blues")
    for true in range(10):
        for guess in range(10):
            if confusion[true, guess]:
                colour = "white" if true == guess else "black"
                axis.text(guess, true, confusion[true, guess], ha="center", va="center",
                          fontsize=8, color=colour)
    axis.set_xticks(range(10))
    axis.set_yticks(range(10))
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title("MNIST test confusion matrix")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
