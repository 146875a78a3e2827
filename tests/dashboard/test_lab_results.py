"""Issue 21 item 1: which runs belong to the data chosen on the Data tab (runs_on_data, comparable_runs)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

from dashboard.lab_results import runs_on_data


def _data(kwargs, fingerprint="fp-this", source="upload_csv", seed=0):
    return SimpleNamespace(use_case=SimpleNamespace(id="finance"), dataset=SimpleNamespace(fingerprint=fingerprint),
                           source_id=source, seed=seed, kwargs=kwargs)


UPLOAD = {"path": "/data/uploads/aaaa.csv", "target": "Status", "bad_value": "bad", "upload_name": "credit.csv"}


def _runs(*rows):
    base = {"dataset": "upload_csv", "fingerprint": "", "source_name": "", "status": "completed"}
    return pd.DataFrame([{**base, **row} for row in rows])


def test_a_run_of_another_uploaded_file_is_not_on_this_data():
    runs = _runs({"run_id": "same-split", "fingerprint": "fp-this"},
                 # the same file (content-hash name) moved with the data dir, another seed: still this file
                 {"run_id": "same-file", "fingerprint": "fp-seed1", "data_path": r"C:\old\uploads\aaaa.csv",
                  "data_target": "Status", "data_bad_value": "bad"},
                 {"run_id": "other-file", "fingerprint": "fp-census", "data_path": "/data/uploads/bbbb.csv",
                  "data_target": "Status", "data_bad_value": "bad", "source_name": "credit.csv"},
                 {"run_id": "other-target", "fingerprint": "fp-t", "data_path": "/data/uploads/aaaa.csv",
                  "data_target": "Home", "data_bad_value": "rent"},
                 {"run_id": "other-source", "fingerprint": "fp-this", "dataset": "credit_data"},
                 {"run_id": "other-print", "fingerprint": "fp-census", "data_path": np.nan, "source_name": "census.csv"},
                 {"run_id": "legacy-same-name", "data_path": np.nan, "source_name": "credit.csv"})
    mine = runs.loc[runs_on_data(runs, _data(UPLOAD)), "run_id"].tolist()
    assert mine == ["same-split", "same-file", "legacy-same-name"]


def test_bundled_data_keeps_every_run_of_its_source_and_rebalancing_is_the_same_data():
    runs = _runs({"run_id": "a", "dataset": "credit_data", "fingerprint": "x", "data_balance": "oversample"},
                 {"run_id": "b", "dataset": "credit_data", "fingerprint": "y"},
                 {"run_id": "c", "dataset": "lending_club", "fingerprint": "z"})
    mine = runs_on_data(runs, _data({"balance": "undersample"}, source="credit_data"))
    assert runs.loc[mine, "run_id"].tolist() == ["a", "b"]
