"""Predictions: closed forms, spectra, exponents and sympy checks.

Theory functions return named results (frozen dataclasses) that state the
definitions, windows and methods behind every number.
"""
