"""USM appraisals service: Working Groups, appraisals, Human Security Plans, lessons learned."""

SERVICE_NAME = "appraisals"
