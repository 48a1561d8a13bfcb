-- The worker's own database (registry), next to Temporal's. Runs once, when the volume is new.
CREATE USER finetune PASSWORD 'finetune';
CREATE DATABASE finetune OWNER finetune;
