"""Lab pieces for pretrained candidates: the "starting point" marker, the one-time download notice
(offline: that candidate cannot train, every other one can), the two-stage note and download progress.

Nothing here touches the network: the notice reads the cache and STUDIO_OFFLINE only.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from dashboard.i18n import t


def starting_point(candidate: Any) -> str:
    """"pretrained on ImageNet", "from scratch" or "baseline": where a candidate's weights start."""
    if getattr(candidate, "pretrained", ""):
        return t(f"pretrained.source.{candidate.pretrained}")
    return t("pretrained.baseline") if candidate.kind == "sklearn" else t("pretrained.from_scratch")


def render_pretrained_notice(candidate: Any, epochs: int) -> bool:
    """Say what a pretrained candidate needs and how it trains; False when it cannot train now (offline)."""
    if getattr(candidate, "fine_tune", None) is not None:
        from core.training.finetune import stage_epochs

        head, tune = stage_epochs(int(epochs), candidate.fine_tune.head_fraction)
        if tune:
            st.caption(t("pretrained.stage_note", head=head, next=head + 1, epochs=head + tune))
    if not getattr(candidate, "weights", ""):
        return True
    from core.models.weights import weights_status

    status, size_mb = weights_status(candidate.weights)
    text = t(f"pretrained.weights.{status}", name=t(candidate.name_key), size_mb=f"{size_mb:.0f}")
    if status == "offline":
        st.warning(text, icon=":material/cloud_off:")
        return False
    (st.success if status == "cached" else st.info)(text, icon=":material/download:")
    return True


def download_text(progress: Any) -> str:
    """The progress bar's text while pretrained weights download (bytes counted in batch / batches)."""
    return t("pretrained.downloading", done_mb=f"{progress.batch / 2**20:.1f}",
             total_mb=f"{progress.batches / 2**20:.1f}")
