def test_create_portfolio(api):
    r = api.post("/api/portfolios", {"title": "My portfolio", "currencies": ["btc", "usd"]}, format="json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["success"] is True
    assert body["result"]["currencies"] == [{"code": "btc", "title": "Bitcoin"}, {"code": "usd", "title": "United States dollar"}]
