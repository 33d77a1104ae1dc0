-- Runs once, when the postgres volume is created. POSTGRES_USER=kpo already owns `orders`.
CREATE DATABASE payments OWNER kpo;
CREATE DATABASE gateway OWNER kpo;
