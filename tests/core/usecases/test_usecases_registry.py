"""The use-case registry names candidates for people in either language."""

from core.i18n import translate
from core.usecases.registry import model_title


def test_candidates_are_named_not_shown_by_id():
    assert model_title("finance", "gbm") == "Gradient boosting (scikit-learn)"
    assert model_title("finance", "wide_deep", "zh") == translate("finance.models.wide_deep.name", "zh")
    assert model_title("finance", "wide_deep", "zh") not in ("wide_deep", model_title("finance", "wide_deep"))
    assert model_title("vision", "cnn") == translate("models.cnn.name", "en") != "cnn"
    assert model_title("vision", "imported") == "Imported model"
    assert model_title("vision", "gbm") == "gbm" and model_title("nowhere", "x") == "x"  # unknown: kept as given
