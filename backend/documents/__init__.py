"""Documents shared by link: one unguessable link per document and recipient, each open of it
recorded (who, when, what kind of device), and the renderer of each kind of document."""
