"""Synthetic ALM-Bench items in the ``MBZUAI/ALM-Bench`` schema (GPTScoring.py's Features).

Two MCQ items for each of 12 languages, with the answer options embedded in
``Translated_Answer`` the way the dataset does: a localised "Options" label, full-width
parentheses and colons for Chinese and Japanese, French spacing before the colon, Arabic and
Ethiopic commas. ar, sw and am use labels the fork's regexes do not know (the task's
``option_labels = "any"`` handles them; ``"fork"`` makes them per-item errors), and are not
in the fork's country map (the paper protocols make them item errors). Plus a True/False, a
short and a long item in en, de and ja for the official protocol, and one MCQ item for each
of the other 14 languages of the paper's 23, with the cases the fork's letter version splits
its own way: more than four options, a comma inside an answer (split apart when a
comma-capital exists), a comma before a non-ASCII capital (kept inside one choice), and a
trailing full stop after the parenthesis. The short type string ("Short Question") is
unverified: the official code sends every unknown type to its short branch. IDs follow the
dataset's ``language_cat_img_q`` pattern with language numbers from 900 up, which no real
item uses. Images are abstract synthetic scenes.
"""

from __future__ import annotations

from pathlib import Path

from tvbench_tasks.bundled.generate import write_parquet
from tvbench_tasks.bundled.synth import scene_image

MCQ, TF = "Multiple Choice Questions", "True False Question"
SHORT, LONG = "Short Question", "Long Question"

# (Language, Category, type, English_Question, English_Answer, Translated_Question,
#  Translated_Answer)
_ITEMS: list[tuple[str, str, str, str, str, str, str]] = [
    ("English", "Food", MCQ, "Which dish is shown in the image?",
     "Fish and chips (Options: Fish and chips, Shepherd's pie, Bangers and mash, Cornish pasty)",
     "Which dish is shown in the image?",
     "Fish and chips (Options: Fish and chips, Shepherd's pie, Bangers and mash, Cornish pasty)"),
    ("English", "Festivals", MCQ, "Which holiday is celebrated with these decorations?",
     "Halloween (Options: Halloween, Easter, Thanksgiving, Christmas)",
     "Which holiday is celebrated with these decorations?",
     "Halloween (Options: Halloween, Easter, Thanksgiving, Christmas)"),
    ("German", "Food", MCQ, "Which baked good is shown in the image?",
     "Pretzel (Options: Pretzel, Bratwurst, Sauerkraut, Schnitzel)",
     "Welches Gebäck ist auf dem Bild zu sehen?",
     "Brezel (Optionen: Brezel, Bratwurst, Sauerkraut, Schnitzel)"),
    ("German", "Architecture", MCQ, "Which landmark is shown?",
     "Brandenburg Gate (Options: Brandenburg Gate, Cologne Cathedral, Neuschwanstein Castle, "
     "Reichstag)", "Welches Bauwerk ist abgebildet?",
     "Brandenburger Tor (Optionen: Brandenburger Tor, Kölner Dom, Schloss Neuschwanstein, "
     "Reichstag)"),
    ("French", "Food", MCQ, "Which pastry is shown in the image?",
     "Croissant (Options: Croissant, Baguette, Crêpe, Macaron)",
     "Quelle viennoiserie est montrée sur l'image ?",
     "Croissant (choix : Croissant, Baguette, Crêpe, Macaron)"),
    ("French", "Architecture", MCQ, "Which monument is shown?",
     "The Eiffel Tower. (Options: The Eiffel Tower, The Arc de Triomphe, The Louvre, Notre-Dame)",
     "Quel monument est représenté ?",
     "La tour Eiffel. (choix : La tour Eiffel, L'Arc de triomphe, Le Louvre, Notre-Dame)"),
    ("Spanish", "Food", MCQ, "Which dish is shown in the image?",
     "Paella (Options: Paella, Gazpacho, Tortilla, Churros)",
     "¿Qué plato se muestra en la imagen?",
     "Paella (Opciones: Paella, Gazpacho, Tortilla, Churros)"),
    ("Spanish", "Festivals", MCQ, "Which festival is celebrated by throwing tomatoes?",
     "La Tomatina (Options: La Tomatina, San Fermín, Las Fallas, Feria de Abril)",
     "¿Qué fiesta se celebra lanzando tomates?",
     "La Tomatina (Opciones: La Tomatina, San Fermín, Las Fallas, Feria de Abril)"),
    ("Chinese (Simplified)", "Food", MCQ, "Which food is shown in the image?",
     "Dumplings (Options: Dumplings, Steamed buns, Mooncakes, Zongzi)",
     "图中展示的是哪种食物？", "饺子（选项：饺子、包子、月饼、粽子）"),
    ("Chinese (Simplified)", "Festivals", MCQ, "Which festival are these lanterns associated with?",
     "Spring Festival (Options: Spring Festival, Mid-Autumn Festival, Dragon Boat Festival, "
     "Qingming Festival)", "图中的灯笼与哪个节日有关？",
     "春节（选项：春节，中秋节，端午节，清明节）"),
    ("Japanese", "Food", MCQ, "Which dish is shown in the image?",
     "Sushi (Options: Sushi, Ramen, Tempura, Soba)",
     "画像に写っている料理は何ですか？", "寿司（選択肢：寿司、ラーメン、天ぷら、そば）"),
    ("Japanese", "Architecture", MCQ, "Which building is this?",
     "Kinkaku-ji (Options: Kinkaku-ji, Kiyomizu-dera, Todai-ji, Himeji Castle)",
     "この建物は何ですか？", "金閣寺（オプション：金閣寺、清水寺、東大寺、姫路城）"),
    ("Korean", "Food", MCQ, "Which food is shown in the image?",
     "Kimchi (Options: Kimchi, Bibimbap, Bulgogi, Tteokbokki)",
     "이미지에 보이는 음식은 무엇입니까?", "김치 (옵션: 김치, 비빔밥, 불고기, 떡볶이)"),
    ("Korean", "Festivals", MCQ, "Which rice cake is eaten on Chuseok?",
     "Songpyeon (Options: Songpyeon, Tteokguk, Injeolmi, Yakgwa)",
     "추석에 먹는 떡은 무엇입니까?", "송편 (선택: 송편, 떡국, 인절미, 약과)"),
    ("Hindi", "Festivals", MCQ, "Oil lamps are lit during this festival. Which festival is it?",
     "Diwali (Options: Diwali, Holi, Eid, Pongal)",
     "इस त्योहार में दीये जलाए जाते हैं। यह कौन सा त्योहार है?",
     "दिवाली (विकल्प: दिवाली, होली, ईद, पोंगल)"),
    ("Hindi", "Food", MCQ, "Which dish is shown in the image?",
     "Samosa (Options: Samosa, Jalebi, Dosa, Biryani)",
     "चित्र में कौन सा व्यंजन दिखाया गया है?", "समोसा (विकल्प: समोसा, जलेबी, डोसा, बिरयानी)"),
    ("Arabic", "Food", MCQ, "Which dish is shown in the image?",
     "Kabsa (Options: Kabsa, Mansaf, Falafel, Hummus)",
     "ما هو الطبق الظاهر في الصورة؟", "الكبسة (الخيارات: الكبسة، المنسف، الفلافل، الحمص)"),
    ("Arabic", "Architecture", MCQ, "Which mosque is this?",
     "Al-Azhar Mosque (Options: Al-Azhar Mosque, Al-Aqsa Mosque, Great Mosque of Kairouan, "
     "Umayyad Mosque)", "ما اسم هذا المسجد؟",
     "جامع الأزهر (الخيارات: جامع الأزهر، المسجد الأقصى، جامع القيروان، الجامع الأموي)"),
    ("Swahili", "Food", MCQ, "Which food is shown in the image?",
     "Ugali (Options: Ugali, Pilau, Chapati, Mandazi)",
     "Ni chakula gani kinachoonyeshwa kwenye picha?",
     "Ugali (Chaguo: Ugali, Pilau, Chapati, Mandazi)"),
    ("Swahili", "Music", MCQ, "Which musical instrument is shown?",
     "Drum (Options: Drum, Zither, Marimba, Kayamba)",
     "Ni ala gani ya muziki inayoonyeshwa?", "Ngoma (Chaguo: Ngoma, Zeze, Marimba, Kayamba)"),
    ("Amharic", "Food", MCQ, "Which food is shown in the image?",
     "Injera (Options: Injera, Doro wat, Kitfo, Shiro)",
     "በምስሉ ላይ የሚታየው ምግብ ምንድን ነው?", "እንጀራ (አማራጮች: እንጀራ፣ ዶሮ ወጥ፣ ክትፎ፣ ሽሮ)"),
    ("Amharic", "Festivals", MCQ, "What is this festival called?",
     "Meskel (Options: Meskel, Timket, Enkutatash, Fasika)",
     "ይህ በዓል ምን ይባላል?", "መስቀል (አማራጮች: መስቀል፣ ጥምቀት፣ እንቁጣጣሽ፣ ፋሲካ)"),
    ("Icelandic", "Food", MCQ, "Which dish is shown in the image?",
     "Smoked lamb (Options: Smoked lamb, Skyr, Fish stew, Kleinur)",
     "Hvaða réttur er sýndur á myndinni?",
     "Hangikjöt (Valkostir: Hangikjöt, Skyr, Plokkfiskur, Kleinur)"),
    ("Icelandic", "Architecture", MCQ, "Which church is in the image?",
     "Hallgrímskirkja (Options: Hallgrímskirkja, Akureyrarkirkja, Skálholtskirkja, "
     "Dómkirkjan)", "Hvaða kirkja er á myndinni?",
     "Hallgrímskirkja (Valmöguleikar: Hallgrímskirkja, Akureyrarkirkja, Skálholtskirkja, "
     "Dómkirkjan)"),
    # --- other question types (official protocol) ---
    ("English", "Food", TF, "Is this dish traditionally eaten on Fridays?", "True",
     "Is this dish traditionally eaten on Fridays?", "True"),
    ("English", "Festivals", SHORT, "What is the name of the celebration shown?",
     "Bonfire Night", "What is the name of the celebration shown?", "Bonfire Night"),
    ("English", "Customs", LONG, "Describe the cultural significance of afternoon tea.",
     "Afternoon tea is a British custom of tea with sandwiches, scones and cakes in the late "
     "afternoon. It began in the 1840s and remains a social occasion.",
     "Describe the cultural significance of afternoon tea.",
     "Afternoon tea is a British custom of tea with sandwiches, scones and cakes in the late "
     "afternoon. It began in the 1840s and remains a social occasion."),
    ("German", "Festivals", TF, "Is this pastry traditionally eaten at Oktoberfest?", "True",
     "Wird dieses Gebäck traditionell auf dem Oktoberfest gegessen?", "Wahr"),
    ("German", "Festivals", SHORT, "What is the festival shown called?", "Oktoberfest",
     "Wie heißt das abgebildete Fest?", "Oktoberfest"),
    ("German", "Customs", LONG, "Describe the role of Christmas markets in German culture.",
     "Christmas markets open in Advent in many German towns. People meet there for mulled "
     "wine, gingerbread and handicrafts; the tradition goes back to the late Middle Ages.",
     "Beschreiben Sie die Rolle der Weihnachtsmärkte in der deutschen Kultur.",
     "Weihnachtsmärkte öffnen in der Adventszeit in vielen deutschen Städten. Man trifft sich "
     "dort bei Glühwein, Lebkuchen und Kunsthandwerk; die Tradition reicht bis ins späte "
     "Mittelalter zurück."),
    ("Japanese", "Food", TF, "Is this dish eaten at New Year?", "True",
     "この料理は正月に食べられますか？", "正しい"),
    ("Japanese", "Festivals", SHORT, "What is the name of this festival?", "Gion Matsuri",
     "この祭りの名前は何ですか？", "祇園祭"),
    ("Japanese", "Customs", LONG, "Explain the cultural meaning of the tea ceremony.",
     "The tea ceremony is a ritual way of preparing and serving matcha. It expresses harmony, "
     "respect, purity and tranquillity.", "茶道の文化的な意味を説明してください。",
     "茶道は抹茶を点てて客をもてなす儀式です。和・敬・清・寂の精神を表しています。"),
    # --- the other 14 languages of the paper's 23 (one MCQ each) ---
    ("Italian", "Food", MCQ, "Which dish is shown in the image?",
     "Risotto (Options: Pizza, Lasagne, Risotto, Tiramisu, Gelato, Cannoli)",
     "Quale piatto è mostrato nell'immagine?",
     "Risotto (Opzioni: Pizza, Lasagne, Risotto, Tiramisù, Gelato, Cannoli)"),
    ("Dutch", "Outdoor", MCQ, "Which flower is shown?",
     "Tulip (Options: Rose, Tulip, Lily, Daisy)", "Welke bloem is te zien?",
     "Tulp (Opties: Roos, Tulp, Lelie, Madeliefje)"),
    ("Russian", "Food", MCQ, "Which dish is shown?",
     "Soup with chicken, rice and vegetables (Options: Borscht, Soup with chicken, rice and "
     "vegetables, Pelmeni, Blini)", "Какое блюдо изображено?",
     "Суп с курицей, рисом и овощами (Варианты: Борщ, Суп с курицей, рисом и овощами, "
     "Пельмени, Блины)"),
    ("Portuguese", "Music", MCQ, "Which music genre is represented?",
     "Fado (Options: Samba, Fado, Bossa nova, Forró)", "Que género musical é representado?",
     "Fado (Opções: Samba, Fado, Bossa nova, Forró)"),
    ("Chinese (Traditional)", "Architecture", MCQ, "Which building is in the image?",
     "Taipei 101 (Options: Taipei 101, Chiang Kai-shek Memorial Hall, Longshan Temple, "
     "Jiufen)", "圖中是哪座建築？", "台北101（選項：中正紀念堂，台北101，龍山寺，九份）。"),
    ("Czech", "Heritage", MCQ, "Which structure is shown?",
     "Charles Bridge (Options: Prague Castle, Charles Bridge, Dancing House, Vysehrad)",
     "Která stavba je na obrázku?",
     "Karlův most (Možnosti: Pražský hrad, Karlův most, Tančící dům, Vyšehrad)"),
    ("Ukrainian", "Food", MCQ, "Which dish is shown?",
     "Varenyky (Options: Borscht, Holubtsi, Varenyky, Salo)", "Яка страва зображена?",
     "Вареники (Варіанти: Борщ, Голубці, Вареники, Сало)"),
    ("Polish", "Food", MCQ, "Which dish is in the photo?",
     "Bigos, Zurek (Options: Pierogi, Bigos, Zurek, Pork chop)",
     "Jakie danie jest na zdjęciu?",
     "Bigos, Żurek (opcje: Pierogi, Bigos, Żurek, Kotlet schabowy)"),
    ("Swedish", "Food", MCQ, "Which dish is shown?",
     "Meatballs (Options: Surstromming, Cinnamon bun, Meatballs, Gravlax)",
     "Vilken maträtt visas?",
     "Köttbullar (Alternativ: Surströmming, Kanelbulle, Köttbullar, Gravlax)"),
    ("Hungarian", "Food", MCQ, "Which food is shown?",
     "Goulash (Options: Langos, Goulash, Porkolt, Dobos cake)", "Milyen étel látható?",
     "Gulyás (Lehetőségek: Lángos, Gulyás, Pörkölt, Dobos torta)"),
    ("Romanian", "Food", MCQ, "Which dish is shown?",
     "Sarmale (Options: Mici, Mamaliga, Sarmale, Cozonac)", "Ce fel de mâncare este afișat?",
     "Sarmale (Opțiuni: Mici, Mămăligă, Sarmale, Cozonac)"),
    ("Danish", "Food", MCQ, "Which dish is shown?",
     "Smorrebrod (Options: Frikadeller, Smorrebrod, Roast pork, Aebleskiver)",
     "Hvilken ret vises?",
     "Smørrebrød (Valgmuligheder: Frikadeller, Smørrebrød, Flæskesteg, Æbleskiver)"),
    ("Norwegian", "Outdoor", MCQ, "What does the picture show?",
     "Fjord (Options: Glacier, Fjord, Volcano, Desert)", "Hva viser bildet?",
     "Fjord (Alternativer: Isbre, Fjord, Vulkan, Ørken)"),
    ("Finnish", "Lifestyle", MCQ, "What is shown in the picture?",
     "Sauna (Options: Kota, Cottage, Sauna, Lean-to)", "Mikä kuvassa näkyy?",
     "Sauna (Vaihtoehdot: Kota, Mökki, Sauna, Laavu)."),
]

_LANG_NO = {lang: 900 + i for i, lang in enumerate(dict.fromkeys(x[0] for x in _ITEMS))}


def build(folder: Path) -> None:
    import datasets

    columns = ("file_name", "ID", "Language", "Category", "Question_Type", "English_Question",
               "English_Answer", "Translated_Question", "Translated_Answer", "Image_Url")
    rows: dict[str, list[object]] = {k: [] for k in columns}
    per_lang: dict[str, int] = {}
    for i, (lang, cat, qtype, eq, ea, tq, ta) in enumerate(_ITEMS):
        per_lang[lang] = per_lang.get(lang, 0) + 1
        rows["file_name"].append({"bytes": scene_image(seed=300 + i), "path": None})
        rows["ID"].append(f"{_LANG_NO[lang]}_{per_lang[lang]}_01_{per_lang[lang]:03d}")
        for key, value in zip(columns[2:], (lang, cat, qtype, eq, ea, tq, ta, ""), strict=True):
            rows[key].append(value)
    features = datasets.Features({"file_name": datasets.Image(),
                                  **{k: datasets.Value("string") for k in columns[1:]}})
    write_parquet(rows, features, folder / "test.parquet")
