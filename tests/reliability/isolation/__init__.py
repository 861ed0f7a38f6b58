"""An isolation checker in the manner of Elle (Kingsbury & Alvaro, "Elle: Inferring Isolation
Anomalies from Experimental Observations"), the list-append and bank workloads that feed it
through the official clients, and the faults injected while they run (docs/reliability.md)."""
