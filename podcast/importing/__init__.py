"""`podcast import`: write a show folder from someone else's feed, keeping every GUID (issue 15)."""
