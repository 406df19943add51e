"""Thermal and night-vision frames -> detections (issue 4; docs/thermal.md).

``frames`` reads a folder of TIFF/PNG images, a ``.npy`` stack or a video, naming each bad
frame; ``camera_file`` reads a fixed camera or a drone with its pose log; ``camera`` turns
pixels into ground positions with their error; ``detector`` finds, classifies and counts
(``background``, ``candidates``, ``classify``); ``source`` yields wire-format detections;
``annotations`` and ``scoring`` evaluate against COCO-style boxes.
"""

from borderwatch.adapters.sources.thermal.camera import Intrinsics, Pose, PoseErrors
from borderwatch.adapters.sources.thermal.camera_file import CameraFile, load_camera_file
from borderwatch.adapters.sources.thermal.classifier import Classifier, load_classifier
from borderwatch.adapters.sources.thermal.detector import DetectorSettings, Found, FrameDetector
from borderwatch.adapters.sources.thermal.frames import Frame, FrameProblem, Radiometry, read_frames
from borderwatch.adapters.sources.thermal.source import FrameReport, ThermalFrameSource

__all__ = [
    "CameraFile",
    "Classifier",
    "DetectorSettings",
    "Found",
    "Frame",
    "FrameDetector",
    "FrameProblem",
    "FrameReport",
    "Intrinsics",
    "Pose",
    "PoseErrors",
    "Radiometry",
    "ThermalFrameSource",
    "load_camera_file",
    "load_classifier",
    "read_frames",
]
