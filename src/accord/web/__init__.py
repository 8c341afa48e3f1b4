"""The web service: GOV.UK Design System pages over the same services as the API."""
