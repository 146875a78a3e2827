"""Datasets: the Dataset value and its sources (bundled, online, uploaded)."""

from core.data.dataset import Dataset, split_stratified
from core.errors import DataError

__all__ = ["Dataset", "DataError", "split_stratified"]
