"""Train the Iris classifier and save it with joblib.

Usage: python train.py [OUTPUT_PATH]

The default output is the local seed of the `models` box, under the object key that the
MLComponent mounts (users/developer/file_groups/models/iris.joblib); upload it to the box to
deploy. The dataset ships with scikit-learn, so training works offline and is deterministic.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import joblib
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

HERE = Path(__file__).resolve().parent
DEFAULT_OUTPUT = HERE / "data/models/users/developer/file_groups/models/iris.joblib"
RANDOM_STATE = 42


def train(output: Path = DEFAULT_OUTPUT) -> float:
    """Train, save the model to ``output`` and return the held-out accuracy."""
    x, y = load_iris(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=RANDOM_STATE
    )
    model = make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000, random_state=RANDOM_STATE)
    )
    model.fit(x_train, y_train)
    accuracy = float(model.score(x_test, y_test))
    model.fit(x, y)  # final model on all data
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(model, output)
    return accuracy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", nargs="?", type=Path, default=DEFAULT_OUTPUT,
                        help=f"where to write the model (default: {DEFAULT_OUTPUT.relative_to(HERE)})")
    args = parser.parse_args(argv)
    accuracy = train(args.output)
    print(f"held-out accuracy {accuracy:.3f}; model written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
