from workbench.data.sample import STOREFRONTS, sample_orders


def test_sample_is_deterministic_per_seed() -> None:
    assert sample_orders(50, seed=3) == sample_orders(50, seed=3)
    assert sample_orders(50, seed=3) != sample_orders(50, seed=4)


def test_sample_shape() -> None:
    orders = sample_orders(300, seed=11)
    assert len({o["order_id"] for o in orders}) == 300
    assert {o["storefront"] for o in orders} == set(STOREFRONTS)
    assert all(o["total"] > 0 and 1 <= o["items"] <= 5 for o in orders)
    stamps = [o["@timestamp"] for o in orders]
    assert stamps == sorted(stamps)
