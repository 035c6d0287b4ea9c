"""Cities the synthetic store sells to, with real coordinates, time zones and currencies.

Coordinates are city-centre WGS84 values rounded to four decimals. ``weight`` is the
share of customers; ``slow`` marks regions whose deliveries take longer.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class City(NamedTuple):
    country: str
    region: str
    city: str
    lat: float
    lon: float
    tz: str
    currency: str
    weight: float
    slow: bool = False


CITIES: tuple[City, ...] = (
    City("DE", "Berlin", "Berlin", 52.5200, 13.4050, "Europe/Berlin", "EUR", 5.0),
    City("DE", "Bavaria", "Munich", 48.1351, 11.5820, "Europe/Berlin", "EUR", 3.5),
    City("DE", "Hamburg", "Hamburg", 53.5511, 9.9937, "Europe/Berlin", "EUR", 2.5),
    City("FR", "Île-de-France", "Paris", 48.8566, 2.3522, "Europe/Paris", "EUR", 5.0),
    City("FR", "Auvergne-Rhône-Alpes", "Lyon", 45.7640, 4.8357, "Europe/Paris", "EUR", 2.0),
    City("NL", "North Holland", "Amsterdam", 52.3676, 4.9041, "Europe/Amsterdam", "EUR", 3.0),
    City("NL", "South Holland", "Rotterdam", 51.9244, 4.4777, "Europe/Amsterdam", "EUR", 1.5),
    City("ES", "Community of Madrid", "Madrid", 40.4168, -3.7038, "Europe/Madrid", "EUR", 3.0),
    City("ES", "Catalonia", "Barcelona", 41.3874, 2.1686, "Europe/Madrid", "EUR", 2.5),
    City("IT", "Lombardy", "Milan", 45.4642, 9.1900, "Europe/Rome", "EUR", 2.5),
    City("IT", "Lazio", "Rome", 41.9028, 12.4964, "Europe/Rome", "EUR", 2.0, True),
    City("IE", "Leinster", "Dublin", 53.3498, -6.2603, "Europe/Dublin", "EUR", 1.5),
    City("GB", "England", "London", 51.5074, -0.1278, "Europe/London", "GBP", 6.0),
    City("GB", "England", "Manchester", 53.4808, -2.2426, "Europe/London", "GBP", 2.0),
    City("GB", "Scotland", "Edinburgh", 55.9533, -3.1883, "Europe/London", "GBP", 1.0, True),
    City("SE", "Stockholm", "Stockholm", 59.3293, 18.0686, "Europe/Stockholm", "SEK", 1.5),
    City("PL", "Masovia", "Warsaw", 52.2297, 21.0122, "Europe/Warsaw", "PLN", 1.5, True),
    City("US", "New York", "New York", 40.7128, -74.0060, "America/New_York", "USD", 7.0),
    City("US", "Massachusetts", "Boston", 42.3601, -71.0589, "America/New_York", "USD", 2.0),
    City("US", "Florida", "Miami", 25.7617, -80.1918, "America/New_York", "USD", 2.0),
    City("US", "Illinois", "Chicago", 41.8781, -87.6298, "America/Chicago", "USD", 3.0),
    City("US", "Texas", "Austin", 30.2672, -97.7431, "America/Chicago", "USD", 2.0),
    City("US", "Colorado", "Denver", 39.7392, -104.9903, "America/Denver", "USD", 1.5),
    City("US", "California", "Los Angeles", 34.0522, -118.2437, "America/Los_Angeles", "USD", 4.0),
    City(
        "US", "California", "San Francisco", 37.7749, -122.4194, "America/Los_Angeles", "USD", 2.5
    ),
    City("US", "Washington", "Seattle", 47.6062, -122.3321, "America/Los_Angeles", "USD", 2.0),
    City("CA", "Ontario", "Toronto", 43.6532, -79.3832, "America/Toronto", "CAD", 2.0),
    City("JP", "Tokyo", "Tokyo", 35.6762, 139.6503, "Asia/Tokyo", "JPY", 3.0),
    City("JP", "Osaka", "Osaka", 34.6937, 135.5023, "Asia/Tokyo", "JPY", 1.5),
    City("KR", "Seoul", "Seoul", 37.5665, 126.9780, "Asia/Seoul", "KRW", 1.5),
    City("SG", "Singapore", "Singapore", 1.3521, 103.8198, "Asia/Singapore", "SGD", 1.5),
    City("IN", "Maharashtra", "Mumbai", 19.0760, 72.8777, "Asia/Kolkata", "INR", 1.5, True),
    City("AU", "New South Wales", "Sydney", -33.8688, 151.2093, "Australia/Sydney", "AUD", 2.0),
    City("AU", "Victoria", "Melbourne", -37.8136, 144.9631, "Australia/Melbourne", "AUD", 1.5),
    City("BR", "São Paulo", "São Paulo", -23.5505, -46.6333, "America/Sao_Paulo", "BRL", 2.0, True),
    City(
        "MX",
        "Mexico City",
        "Mexico City",
        19.4326,
        -99.1332,
        "America/Mexico_City",
        "MXN",
        1.5,
        True,
    ),
)

# Fixed reference rates (units of EUR per unit of currency) so that numbers reproduce.
EUR_PER_UNIT: dict[str, float] = {
    "EUR": 1.0,
    "USD": 0.92,
    "GBP": 1.17,
    "SEK": 0.087,
    "PLN": 0.23,
    "CAD": 0.68,
    "JPY": 0.0062,
    "KRW": 0.00068,
    "SGD": 0.69,
    "INR": 0.011,
    "AUD": 0.61,
    "BRL": 0.17,
    "MXN": 0.054,
}
# ISO 4217 minor units: how many decimals an amount in this currency carries.
MINOR_UNITS: dict[str, int] = {c: (0 if c in {"JPY", "KRW"} else 2) for c in EUR_PER_UNIT}


def to_eur(amount: float, currency: str) -> float:
    """An amount in EUR at the reference rate, rounded to the cent (one formula everywhere)."""
    return float(np.round(amount * EUR_PER_UNIT[currency], 2))
