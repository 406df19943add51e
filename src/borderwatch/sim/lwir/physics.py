"""Long-wave infrared radiometry for the synthetic thermal renderer.

A microbolometer integrates radiance over roughly 8-14 µm. Scene radiance is Planck's law
integrated over that band; the camera's output is the *apparent* (blackbody-equivalent)
temperature of that radiance. Every constant below is cited; the figures they reproduce are
in docs/references.md ("Thermal imaging") and are re-derived by
``tests/unit/test_lwir_physics.py``.

Sources:
- Planck's law and the SI defining constants h, c, k: BIPM, *The International System of
  Units*, 9th edition (2019), table 1 (exact values).
- Band 8-14 µm, NETD, slope dL/dT at -27 °C about half that at 30 °C: references.md.
- Emissivities: snow ≈ 0.99 in the LWIR (a few per cent lower at grazing angles), skin ≈ 0.98
  (references.md; Steketee, Phys. Med. Biol. 18, 1973, for skin).
- Atmosphere: τ = exp(-β R), path radiance (1 - τ) L(T_air) (references.md, "Atmosphere").
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import ArrayLike, NDArray

PLANCK_H = 6.626_070_15e-34
"""J s, exact (SI 2019)."""
LIGHT_C = 299_792_458.0
"""m/s, exact (SI 2019)."""
BOLTZMANN_K = 1.380_649e-23
"""J/K, exact (SI 2019)."""
KELVIN_0C = 273.15

BAND_UM = (8.0, 14.0)
"""Spectral band of an uncooled microbolometer, µm (references.md)."""

NETD_K = 0.050
"""Noise-equivalent temperature difference at the reference scene temperature (references.md:
modern uncooled cores are < 40-50 mK)."""
NETD_REFERENCE_K = 303.15
"""NETD is specified on a 30 °C scene (references.md)."""

SNOW_EMISSIVITY = 0.99
CLEAR_SKY_C = -50.0
"""Effective radiating temperature of a clear night sky (references.md table)."""

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]


def band_radiance(temperature_k: ArrayLike, band_um: tuple[float, float] = BAND_UM) -> F64:
    """Blackbody radiance integrated over the band, W m⁻² sr⁻¹ (Planck's law, trapezoid rule
    on 600 wavelengths: the error is far below the sensor's noise).

    >>> round(float(band_radiance(33 + KELVIN_0C)), 1)  # exposed skin, references.md: 60.2
    60.2
    >>> round(float(band_radiance(-27.2 + KELVIN_0C)), 1)  # snow, references.md: 20.4
    20.4
    """
    temps = np.asarray(temperature_k, dtype=float)
    lam = np.linspace(band_um[0], band_um[1], 600) * 1e-6
    c1 = 2.0 * PLANCK_H * LIGHT_C**2
    c2 = PLANCK_H * LIGHT_C / BOLTZMANN_K
    spectral = c1 / lam**5 / np.expm1(c2 / (lam * temps[..., None]))
    return np.asarray(np.trapezoid(spectral, lam, axis=-1), dtype=float)


_TABLE_START_K, _TABLE_STEP_K = 150.0, 0.05
_INVERSE_NODES = 1 << 18


@functools.lru_cache(maxsize=1)
def _table() -> tuple[F64, F64]:
    temps = np.arange(_TABLE_START_K, 420.0, _TABLE_STEP_K)
    return temps, band_radiance(temps)


@functools.lru_cache(maxsize=1)
def _inverse_table() -> tuple[float, float, F64]:
    """Temperatures at evenly spaced radiances over the table's range: an even grid is
    indexed by arithmetic, not searched (whole images are converted every frame). 2^18
    nodes put them ~1 mK apart at -27 °C, where linear interpolation errs by < 1e-7 K."""
    temps, table = _table()
    nodes = np.linspace(table[0], table[-1], _INVERSE_NODES)
    step = (table[-1] - table[0]) / (_INVERSE_NODES - 1)
    return float(table[0]), float(step), np.interp(nodes, table, temps)


def _on_grid(x: F64, start: float, step: float, values: F64) -> F64:
    """Linear interpolation of ``values`` given at ``start + k * step``, clamped at both
    ends (as ``np.interp``)."""
    position = np.clip((x - start) / step, 0.0, len(values) - 1)
    index = np.minimum(position.astype(np.intp), len(values) - 2)
    below = values[index]
    return np.asarray(below + (position - index) * (values[index + 1] - below), dtype=float)


def radiance_to_temperature(radiance: ArrayLike) -> F64:
    """Apparent (blackbody-equivalent) temperature, K, of a band radiance: what a radiometric
    camera reports. Inverse of :func:`band_radiance` by table interpolation (the 0.05 K
    table, resampled at even radiance steps)."""
    start, step, temps = _inverse_table()
    return _on_grid(np.asarray(radiance, float), start, step, temps)


def temperature_to_radiance(temperature_k: ArrayLike) -> F64:
    """:func:`band_radiance` by table interpolation (fast, for whole images)."""
    _, table = _table()
    return _on_grid(np.asarray(temperature_k, float), _TABLE_START_K, _TABLE_STEP_K, table)


def radiance_slope(temperature_k: float) -> float:
    """dL/dT at a temperature, W m⁻² sr⁻¹ K⁻¹ (central difference)."""
    return float((band_radiance(temperature_k + 0.05) - band_radiance(temperature_k - 0.05)) / 0.1)


def noise_temperature_k(scene_k: float, netd_k: float = NETD_K) -> float:
    """Temporal noise in kelvin on a scene at ``scene_k``: the sensor's noise is fixed in
    radiance (NETD times the slope at the 30 °C reference), and the slope is smaller on a cold
    scene, so the noise in kelvin grows (references.md: 50 mK behaves like ≈ 96 mK at -27 °C).

    >>> round(noise_temperature_k(-27.0 + KELVIN_0C), 3)
    0.096
    """
    return netd_k * radiance_slope(NETD_REFERENCE_K) / radiance_slope(scene_k)


def transmittance(range_m: ArrayLike, extinction_per_km: float) -> F64:
    """Beer-Lambert transmittance τ = exp(-β R) along a horizontal path."""
    return np.exp(-extinction_per_km * np.asarray(range_m, float) / 1000.0)


def through_air(
    radiance: ArrayLike, range_m: ArrayLike, extinction_per_km: float, air_k: float
) -> F64:
    """Radiance reaching the camera: τ L + (1 - τ) L(T_air) (path radiance)."""
    tau = transmittance(range_m, extinction_per_km)
    air = float(temperature_to_radiance(air_k))
    return np.asarray(tau * np.asarray(radiance, float) + (1.0 - tau) * air, dtype=float)
