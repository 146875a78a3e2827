"""What the studio writes about datasets and devices reads in the chosen language."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dashboard import i18n


@pytest.fixture(params=["en", "zh"])
def lang(request, monkeypatch):
    monkeypatch.setattr(i18n, "current_language", lambda: request.param)
    return request.param


def test_device_text_translates_the_cpu_and_keeps_gpu_model_names(lang):
    expected = {"en": "CPU (2 cores)", "zh": "CPU（2 核）"}[lang]
    assert i18n.device_text("CPU (2 cores)") == expected
    assert i18n.device_text("NVIDIA H200") == "NVIDIA H200"
    assert i18n.device_text(None) == i18n.device_text(float("nan")) == i18n.device_text("-") == "–"


def _uploads(tmp_path):
    """One dataset from each uploader: ratings (u.data), table, texts and an image zip."""
    from core.usecases.finance.data import load_csv_table
    from core.usecases.nlp.data import load_text_csv
    from core.usecases.recommendation.data import load_ratings_csv
    from core.usecases.vision.upload import load_image_zip

    ratings = tmp_path / "u.data"
    ratings.write_text("".join(f"{u}\t{i}\t{1 + (u + i) % 5}\t{100 + i}\n" for u in range(4) for i in range(5)))
    table = tmp_path / "t.csv"
    table.write_text(pd.DataFrame({"x": np.arange(40) % 7, "status": ["bad", "good", "good", "good"] * 10})
                     .to_csv(index=False))
    texts = ("text,label\n" + "".join(f"good {i},pos\nbad {i},neg\n" for i in range(5))).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for folder, shade in (("dark", 20), ("light", 230)):
            for k in range(3):
                png = io.BytesIO()
                Image.new("L", (8, 8), shade + k).save(png, format="PNG")
                archive.writestr(f"{folder}/{k}.png", png.getvalue())
    return [load_ratings_csv(seed=0, data=str(ratings)), load_csv_table(path=str(table), target="status", bad_value="bad"),
            load_text_csv(data=texts), load_image_zip(data=buffer.getvalue(), name="shades.zip")]


def test_upload_provenance_and_licence_are_written_in_the_readers_language(tmp_path, lang):
    for dataset in _uploads(tmp_path):
        provenance, licence = i18n.dataset_source(dataset)
        assert "{" not in provenance and "}" not in provenance, provenance
        assert not provenance.endswith((".", "。")) and not licence.endswith((".", "。"))  # no "utf-8.." on the page
        if lang == "zh":
            assert ("上传的" in provenance and licence.startswith("由上传者提供")
                    and "Uploaded" not in provenance and "uploader" not in licence), (provenance, licence)
        else:
            assert provenance.startswith("Uploaded") and licence.startswith("Provided by the uploader")
    ratings = _uploads(tmp_path)[0]
    provenance, _ = i18n.dataset_source(ratings)
    assert {"en": "20 ratings", "zh": "20 条评分"}[lang] in provenance
    named, _ = i18n.dataset_source(ratings, upload_name="u.data")
    assert {"en": "Uploaded file u.data: 20 ratings", "zh": "上传的文件 u.data：20 条评分"}[lang] in named


def test_a_dataset_without_keys_keeps_its_own_text(lang):
    class Plain:
        provenance, licence, extra = "somewhere", "MIT", {}

    assert i18n.dataset_source(Plain()) == ("somewhere", "MIT")


def _bundled():
    from core.usecases.finance.data import load_credit_data, load_lending_club
    from core.usecases.nlp.data import load_chinese_reviews, load_english_reviews
    from core.usecases.recommendation.data import load_movielens
    from core.usecases.vision.data import load_digits_dataset, load_mnist5k

    return [load_digits_dataset(seed=3), load_mnist5k(seed=3), load_english_reviews(seed=3), load_chinese_reviews(seed=3),
            load_movielens(seed=3), load_credit_data(seed=3), load_lending_club(seed=3)]


@pytest.mark.slow
def test_bundled_provenance_is_translated_and_the_english_matches_the_loaders_own(monkeypatch):
    datasets = _bundled()
    monkeypatch.setattr(i18n, "current_language", lambda: "en")
    for dataset in datasets:
        # the loader's own English, less a closing full stop (the page's sentence adds one)
        assert i18n.dataset_source(dataset) == (dataset.provenance.rstrip("."), dataset.licence.rstrip(".")), dataset.id
    monkeypatch.setattr(i18n, "current_language", lambda: "zh")
    for dataset in datasets:
        provenance, licence = i18n.dataset_source(dataset)
        assert "{" not in provenance and provenance != dataset.provenance, dataset.id
        assert any("\u4e00" <= char <= "\u9fff" for char in provenance), provenance
    assert "随机种子 3" in i18n.dataset_source(datasets[4])[0]
    assert i18n.dataset_source(datasets[4])[1].startswith("MovieLens 使用条款")
