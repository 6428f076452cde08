"""Where images come from (base layer, beside `fakebench.core`): the mini-world photo corpus, procedural
reals, folders and CSV manifests (`folder:`), Hugging Face datasets (`hf:`) and their cache, the real/fake
label vocabulary, image sets on disk, and the rule that splits training reals into train and validation.
Nothing here makes a fake: that is `fakebench.generators`. See docs/explanation/architecture.md."""
