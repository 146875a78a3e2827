"""Every use case's lab, by use case id: an explicit registry, never a lookup by module name.

A use case without an entry gets the generic lab (dashboard.labs.generic), so a new use case with
array or table data needs no dashboard file; one that wants its own views adds a module here and
one line to LABS.
"""

from __future__ import annotations

from dashboard.labs import finance, nlp, recommendation, vision
from dashboard.labs.contract import LabData, LabView
from dashboard.labs.generic import generic_lab

LABS: dict[str, LabView] = {
    "vision": vision.LAB,
    "nlp": nlp.LAB,
    "recommendation": recommendation.LAB,
    "finance": finance.LAB,
}


def lab_view(use_case_id: object) -> LabView:
    """The use case's own lab, else the generic one with widget keys prefixed by the use case id."""
    return LABS.get(str(use_case_id)) or generic_lab(str(use_case_id))


__all__ = ["LABS", "LabData", "LabView", "lab_view"]
