"""Examples of analytics consumers that read Campus's public event stream."""
