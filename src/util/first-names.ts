/**
 * Common English first names, by the gender the text's pronouns will assume. The rename probe
 * replaces them; the perturbation engine counts the people a question names. Names that are also
 * ordinary words, months, places or brands are left out on purpose (see WORD_NAMES): "Will he..."
 * at the start of a sentence must never be taken for a person.
 */
export type NameGender = "female" | "male" | "neutral";

const FEMALE = `Abigail Adriana Alice Alicia Alyssa Amanda Amelia Amy Andrea Angela Ann Anna Anne Annie Ashley Ava
  Barbara Beatrice Becky Bella Beth Bethany Betty Brenda Brianna Brittany Brooke Carla Carly Carmen
  Carol Caroline Carolyn Carrie Catherine Cathy Cecilia Celine Cheryl Chloe Christina Christine Cindy
  Claire Clara Claudia Cynthia Danielle Debbie Deborah Debra Denise Diana Diane Donna Dora Doris
  Dorothy Edith Elena Elise Eliza Elizabeth Ella Ellen Elsa Emily Emma Erica Erin Esther Ethel Eva
  Evelyn Fatima Fiona Freda Gabriela Gina Gloria Greta Gretchen Haley Hannah Harriet Heather Helen
  Irene Isabel Isabella Jackie Jana Jane Janet Janice Jasmine Jen Jenna Jennifer Jenny Jess Jessica
  Jill Joan Joanna Josephine Judy Julia Julie Karen Kate Katie Kayla Kelly Kendra Kim Kimberly Kylie
  Lana Lara Laura Lauren Layla Leah Leila Linda Lisa Lola Lori Louise Lucia Lucy Lydia Mabel Madeline
  Maggie Mandy Mara Marcia Marcy Maria Marie Marilyn Marissa Marla Marta Martha Mary Megan Melanie
  Melissa Mia Michelle Mila Milly Molly Monica Nadia Nancy Naomi Natalie Nicole Nina Olivia Pam
  Patricia Patty Paula Pauline Phoebe Polly Priya Rachel Rebecca Rita Sally Samantha Sandra Sara Sarah
  Sasha Sharon Sheila Shelby Shelly Sophia Sophie Stacy Stella Stephanie Susan Susie Tamara Tanya Tara
  Teresa Tiffany Tina Tonya Tracy Valerie Vanessa Vera Veronica Wanda Yolanda Zoe`;

const MALE = `Aaron Adam Adrian Ahmed Alan Albert Ali Andrew Andy Anthony Arnold Arthur Barry Ben Benjamin Benny
  Bert Billy Blake Bob Bobby Boris Brad Brady Brandon Brendan Brian Bruce Bryan Caleb Calvin Carl
  Carlos Carson Cary Chad Charles Christopher Connor Dan Daniel Danny Dave David Dennis Derek Dexter
  Dominic Donald Douglas Dylan Edward Elijah Eric Ethan Felix Fred Gabriel Gary George Gerald Grayson
  Greg Gregory Hank Harold Harry Henry Howard Hugo Ian Isaac Ivan Jacob Jake James Jared Jason Javier
  Jay Jayden Jeff Jeffrey Jeremy Jerome Jerry Jesse Jim Jimmy Joe Joel Joey John Johnny Jon Jonathan
  Jorge Joseph Josh Joshua Juan Jude Justin Keith Ken Kenneth Kenny Kevin Kyle Larry Lawrence Leo
  Leonard Liam Lou Lucas Luis Luke Malcolm Manny Marco Marcus Mario Martin Mason Matt Matthew Micah
  Michael Miguel Mike Mitchell Mohammed Nate Nathan Neil Nicholas Noah Olaf Oliver Omar Oscar Patrick
  Paul Pedro Pete Peter Phil Philip Phillip Rafael Ralph Raymond Ricardo Richard Rick Robert Roger Ron
  Ronald Roy Russell Ryan Samuel Scott Sean Seth Shane Simon Stan Stephen Steve Steven Ted Theo Thomas
  Tim Timothy Tobias Toby Todd Tom Tommy Tony Travis Trevor Trey Tyler Tyson Victor Vincent Walter
  Wayne William Zach Zachary Zack`;

const NEUTRAL = `Alex Ashton Avery Bailey Cameron Casey Charlie Chris Dana Emerson Finley Frankie Jamie Jessie Kai
  Kendall Kris Logan Morgan Quinn Reese Riley Rory Rowan Sam Sammy Skyler Taylor Terry`;

/**
 * Names that are also ordinary words, months, places or brands. They are never taken for a person,
 * even if a list above gains one by mistake.
 */
export const WORD_NAMES: ReadonlySet<string> = new Set(
  `Will Mark Bill June May April August Rose Grace Hope Joy Faith Sky Page Summer Autumn Winter Art Pat Penny
  Jack Miles Jordan Chase Hunter Carter Cooper Price Rich Frank Drew Rob Sue Ray Dawn Amber Ruby Crystal Holly
  Ivy Iris Daisy Lily Violet Olive Pearl Ginger Honey Candy Sandy Rusty Buddy Wade Chip Gene Guy Dean Lane Dale
  Glen Brook Lee Reed Sage Willow Sunny Storm Bud Max Nick Earl Major Dusty Eve Angel Star Nova Melody Harmony
  Destiny Trinity Christian Jean Randy Victoria Eugene Louis Diego Francisco Antonio Jose Dakota Devon Paris
  Florence Charlotte Savannah Dallas Denver Austin Houston Phoenix Madison Sydney Chelsea Georgia Virginia
  Carolina Brooklyn Wendy Mercedes Grant Jackson Parker Jan Cole`.split(/\s+/),
);

function names(list: string, gender: NameGender): Array<[string, NameGender]> {
  return list
    .trim()
    .split(/\s+/)
    .filter((name) => !WORD_NAMES.has(name))
    .map((name) => [name, gender]);
}

/** Every known first name and its gender (each name is listed once). */
export const FIRST_NAMES: ReadonlyMap<string, NameGender> = new Map([
  ...names(NEUTRAL, "neutral"),
  ...names(FEMALE, "female"),
  ...names(MALE, "male"),
]);
