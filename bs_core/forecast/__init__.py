"""Forecasting a zone's daily views: ``model`` is the method and its backtest (pure
arithmetic on lists of views); ``store/forecasts.py`` runs it on the mirror once per sync."""

from . import model

__all__ = ["model"]
