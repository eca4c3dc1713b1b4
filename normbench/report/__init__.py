"""Reports are renderings: tables, charts and one HTML page built only from a stored run."""
