#!/usr/bin/env python3
"""Writes the diabetes regression data set as a CSV file for `swiftddp prepare csv`.

442 patients, 10 baseline variables (age, sex, body-mass index, mean blood pressure and six blood
serum measurements s1..s6) and the target: a quantitative measure of disease progression one year
later (25..346). Efron, Hastie, Johnstone & Tibshirani, "Least Angle Regression", Annals of
Statistics 32(2), 2004. The data ships inside scikit-learn's wheel (sklearn/datasets/data/), so
nothing is downloaded: `pip install scikit-learn` (launch/install-deps.sh does it).

The values are the original, unscaled ones (`load_diabetes(scaled=False)`); `prepare csv`
standardizes them with the training split's statistics.

    python3 datasets/make-diabetes-csv.py [datasets/raw/diabetes.csv]
"""
import csv
import os
import sys

from sklearn.datasets import load_diabetes


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "datasets/raw/diabetes.csv"
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    data = load_diabetes(scaled=False)
    with open(path, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(list(data.feature_names) + ["target"])
        for row, target in zip(data.data, data.target):
            writer.writerow([repr(float(value)) for value in row] + [repr(float(target))])
    print(f"wrote {path}: {len(data.target)} rows, {len(data.feature_names)} features and the target")


if __name__ == "__main__":
    main()
