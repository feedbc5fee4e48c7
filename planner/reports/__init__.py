"""Charts and the text, HTML and CSV reports of plans and studies (used by CLI and UI)."""
