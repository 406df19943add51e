"""Synthetic long-wave infrared frames with ground truth (docs/thermal.md).

``physics`` (Planck band radiance, NETD, atmosphere), ``bodies`` (people, children, deer,
coyotes, vehicles, trees, rocks as warm parts), ``render`` (radiance image, sensor artefacts,
truth boxes), ``scenes`` (seeded scenes for training, tests and the benchmark), ``export``
(frames, camera file and COCO truth on disk), ``training`` (shared by the training script
and the benchmark) and ``sensor`` (scenario cameras and drones that produce frames).
Nothing is imported here, so a scenario without frame sensors never loads the renderer.
"""
