"""12345 hotline work orders (接诉即办): received from the hotline's system, matched to a
place, raised as motions, their state reported back by webhook."""
