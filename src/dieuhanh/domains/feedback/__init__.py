"""Citizen feedback (phản ánh hiện trường): intake from every channel, routing, working-time
deadlines, answers with evidence, the public side and Open311 GeoReport v2."""
