"""Chinese language understanding: text normalisation, case classification (category/) and place understanding
(location/, address/), as pipeline components registered in ``hotline.registry``."""
