-- Run once by the postgres image on an empty data directory: one database per service.
CREATE DATABASE usm_indicators;
CREATE DATABASE usm_reports;
CREATE DATABASE usm_appraisals;
CREATE DATABASE usm_network;
CREATE DATABASE usm_gateway;
