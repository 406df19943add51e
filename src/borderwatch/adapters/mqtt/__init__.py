"""MQTT: the broker address, a durable subscriber (Frigate's events come in), a publisher
(incidents go out) and a Mosquitto of our own for the tests and the bench."""
