//! Feishu's callback crypto and signatures.
