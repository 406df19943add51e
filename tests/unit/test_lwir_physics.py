"""The renderer's physics against the reference figures (../shared/reference/thermal.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from borderwatch.sim.lwir.physics import (
    KELVIN_0C,
    band_radiance,
    noise_temperature_k,
    radiance_to_temperature,
    temperature_to_radiance,
    through_air,
    transmittance,
)


@pytest.mark.parametrize(
    ("celsius", "radiance"),
    [(33.0, 60.2), (20.0, 49.4), (-15.0, 26.4), (-20.0, 23.8), (-27.2, 20.4), (-50.0, 11.8)],
)
def test_band_radiance_reproduces_the_reference_table(celsius: float, radiance: float) -> None:
    assert float(band_radiance(celsius + KELVIN_0C)) == pytest.approx(radiance, abs=0.06)


def test_radiance_grows_with_temperature_and_the_table_inverts_it() -> None:
    temps = np.linspace(200.0, 350.0, 301)
    radiance = temperature_to_radiance(temps)
    assert np.all(np.diff(radiance) > 0)
    assert np.allclose(radiance_to_temperature(radiance), temps, atol=0.01)
    assert np.allclose(radiance, band_radiance(temps), rtol=1e-4)


def test_a_50_mk_sensor_is_about_0_1_k_on_a_minus_27_scene() -> None:
    # thermal.md: "a 50 mK sensor behaves like ~96 mK on a -27 °C scene".
    assert noise_temperature_k(-27.0 + KELVIN_0C) == pytest.approx(0.096, abs=0.003)
    assert noise_temperature_k(30.0 + KELVIN_0C) == pytest.approx(0.050, abs=1e-3)


def test_clear_cold_air_transmits_over_90_percent_over_a_few_hundred_metres() -> None:
    assert float(transmittance(300.0, 0.15)) > 0.9
    assert float(transmittance(1000.0, 1.0)) == pytest.approx(math.exp(-1.0))
    # Through a very long path everything tends to the air's own radiance.
    air = KELVIN_0C - 27.0
    far = through_air(band_radiance(KELVIN_0C + 33.0), 1e6, 1.0, air)
    assert float(far) == pytest.approx(float(temperature_to_radiance(air)))
