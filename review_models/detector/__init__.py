"""The bug detector: trained on synthetic bugs injected into real code, calibrated, with
repairs."""
