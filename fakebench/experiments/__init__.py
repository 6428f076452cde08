"""Experiment scripts run by hand (`python -m fakebench.experiments.ablation`, `.formatprobe`,
`gpu_check.sh`): the ablation of the lite world and the format probe. The library never imports them."""
