"""Datasets: the Dataset value and what every use case's sources share (online downloads, delimited text).

Each use case's own loaders live in its package (core/usecases/<name>/data.py ...).
"""

from core.data.dataset import Dataset, split_stratified
from core.errors import DataError

__all__ = ["Dataset", "DataError", "split_stratified"]
