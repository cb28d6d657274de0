"""Domain logic: plain Python over the models, no request objects."""
