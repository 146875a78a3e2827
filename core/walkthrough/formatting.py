"""Numbers and LaTeX for the walkthrough's steps: short decimals, vectors, f'(z) with its numbers."""

from __future__ import annotations

import math

import numpy as np


def fmt(value: float, digits: int = 6) -> str:
    """A number for people: up to `digits` significant digits, no trailing zeros, never "-0"."""
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    text = f"{value:.{digits}g}"
    if "e" in text:
        mantissa, exponent = text.split("e")
        return f"{mantissa}e{int(exponent)}"
    if text in ("-0", "-0.0"):
        return "0"
    return text


def tex(value: float, digits: int = 6) -> str:
    """fmt() for LaTeX: exponents as \\times 10^{n}."""
    text = fmt(value, digits)
    if "e" in text:
        mantissa, exponent = text.split("e")
        return rf"{mantissa} \times 10^{{{exponent}}}"
    return text.replace("∞", r"\infty")


def tex_paren(value: float) -> str:
    """A number that may be negative, parenthesised for use in a product or sum."""
    text = tex(value)
    return f"({text})" if text.startswith("-") else text


def tex_vector(values: np.ndarray) -> str:
    return r"\left(" + ", ".join(tex(v) for v in values) + r"\right)"


ACT_TEX = {"relu": r"\mathrm{ReLU}", "sigmoid": r"\sigma", "tanh": r"\tanh", "linear": r"\mathrm{id}",
            "softmax": r"\mathrm{softmax}"}


def prime_tex(name: str, z: float, a: float, d: float) -> str:
    """f'(z) with numbers, e.g. ReLU'(-0.2) = 0 or sigma'(z) = a(1-a) = ..."""
    if name == "relu":
        return rf"\mathrm{{ReLU}}'({tex(z)}) = {tex(d)}"
    if name == "sigmoid":
        return rf"\sigma'({tex(z)}) = {tex(a)}\,(1 - {tex(a)}) = {tex(d)}"
    if name == "tanh":
        return rf"\tanh'({tex(z)}) = 1 - {tex_paren(a)}^2 = {tex(d)}"
    return rf"\mathrm{{id}}'({tex(z)}) = 1"


def layer_sym(layer: int) -> str:
    return f"^{{({layer})}}"
